export {
  convertDirectory,
  convertFiles,
  pngPathFor,
  NETPBM_EXTENSION,
  type BatchOptions,
  type BatchResult,
  type ConvertedFile,
  type FailedFile,
} from './convert-directory.js';
export { convertDocumentScreenshots, type ScreenshotsResult } from './convert-screenshots.js';
export { sniffInput, peekStream, type InputKind } from './input-kind.js';
export { ppm2png, type Ppm2pngArgs } from './ppm2png-command.js';
export { ppm2pngStage } from './stage-declaration.js';
