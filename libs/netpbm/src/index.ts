export {
  netpbmToPng,
  netpbmToPngStream,
  screendumpToPng,
  outputPathFor,
  defaultCompression,
  type NetpbmInput,
  type ConvertOptions,
  type ConvertedImage,
  type ConvertResult,
  type StreamResult,
} from './convert.js';
export { NetpbmDecoder, type NetpbmHeader, type NetpbmFormat } from './netpbm-decoder.js';
export { ByteReader } from './byte-reader.js';
export { bufferSource, fileSource, streamSource, type ByteSource } from './byte-source.js';
export { ImageSurvey, choosePngLayout, scaleSample, maxvalToBits, type PngLayout } from './png-layout.js';
export { PngWriter, type ByteSink, type PngHeaderFields, type PngWriterOptions } from './png-writer.js';
