import { once } from 'node:events';
import { createReadStream, statSync } from 'node:fs';
import { lstat, open, realpath, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { OzkitError, toOzkitError } from '@ozkit/errors';
import { ByteReader } from './byte-reader.js';
import { bufferSource, fileSource, streamSource, type ByteSource } from './byte-source.js';
import { NetpbmDecoder, type NetpbmHeader } from './netpbm-decoder.js';
import { choosePngLayout, ImageSurvey, type PngLayout } from './png-layout.js';
import { PngWriter, type ByteSink } from './png-writer.js';
import { RowEncoder } from './row-encoder.js';

/** A netpbm file's path, its bytes, or a stream of them (stdin). */
export type NetpbmInput = string | Buffer | NodeJS.ReadableStream | AsyncIterable<Uint8Array>;

export interface ConvertOptions {
  /**
   * zlib level 0–9. Default: 6 (as pnmtopng) for palette and sub-byte images, whose data is
   * small; 4 for 8/16-bit gray and RGB, which are Paeth-filtered and then come out smaller
   * than pnmtopng's in about a quarter of the time (measured: bench/ppm2png.bench.mjs).
   * Levels 1–3 are no faster than 4 on such data here, and 6 doubles the time for ~1% less.
   */
  compression?: number;
  /** Names the input in error messages (default: the path, or `<stdin>`). */
  label?: string;
  signal?: AbortSignal;
  /** Called after each image is written. */
  onImage?: (image: ConvertedImage) => void;
}

export interface ConvertedImage {
  /** 0 for the first image of the input. */
  index: number;
  format: NetpbmHeader['format'];
  width: number;
  height: number;
  maxval: number;
  png: {
    colorType: 'gray' | 'rgb' | 'palette';
    bitDepth: number;
    paletteSize?: number;
    significantBits?: number;
    bytes: number;
    /** Set for file outputs. */
    path?: string;
  };
}

export interface ConvertResult {
  images: ConvertedImage[];
}

/** The zlib level used when ConvertOptions.compression is not given. */
export function defaultCompression(layout: Pick<PngLayout, 'colorType' | 'bitDepth'>): number {
  return layout.colorType === 3 || layout.bitDepth < 8 ? 6 : 4;
}

/** `OUT.png` for the first image, then `OUT-1.png`, `OUT-2.png`… (before a `.png` ending, else appended). */
export function outputPathFor(base: string, index: number): string {
  if (index === 0) return base;
  const m = /\.png$/i.exec(base);
  return m ? `${base.slice(0, m.index)}-${index}${base.slice(m.index)}` : `${base}-${index}`;
}

function labelOf(input: NetpbmInput, options: ConvertOptions): string {
  if (options.label) return options.label;
  if (typeof input === 'string') return input;
  return Buffer.isBuffer(input) ? '<buffer>' : '<stdin>';
}

async function openInput(input: NetpbmInput, label: string, signal?: AbortSignal): Promise<ByteSource> {
  if (Buffer.isBuffer(input)) return bufferSource(input);
  if (typeof input === 'string') {
    try {
      const st = statSync(input);
      // A FIFO or device (bash's <(…), /dev/stdin on a pipe) has no size to read by: take it as a stream.
      if (!st.isFile() && !st.isDirectory()) return await streamSource(createReadStream(input), { signal });
      return fileSource(input);
    } catch (error) {
      if (error instanceof OzkitError || signal?.aborted) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new OzkitError('INPUT_MISSING', `${label}: no such file`, { cause: error });
      if (code === 'EISDIR') throw new OzkitError('USAGE', `${label}: is a directory`, { hint: 'use --dir DIR to convert every image in a folder', cause: error });
      throw new OzkitError('IO', `${label}: cannot read: ${(error as Error).message}`, { cause: error });
    }
  }
  try {
    return await streamSource(input, { signal });
  } catch (error) {
    if (error instanceof OzkitError) throw error;
    if (signal?.aborted) throw signal.reason;
    throw new OzkitError('IO', `${label}: cannot read: ${(error as Error).message}`, { cause: error });
  }
}

const CHECK_EVERY_ROWS = 64;

/** One pass over the raster to learn what pnmtopng would learn, then the layout it would choose. */
function surveyImage(decoder: NetpbmDecoder, header: NetpbmHeader, signal?: AbortSignal): PngLayout {
  const survey = new ImageSurvey(header);
  const rgb8 = !header.plain && header.kind === 'ppm' && header.maxval === 255;
  const samples = rgb8 ? undefined : new Uint16Array(header.width * header.channels);
  for (let y = 0; y < header.height; y++) {
    if (y % CHECK_EVERY_ROWS === 0) signal?.throwIfAborted();
    if (samples) {
      decoder.readRow(header, samples, y);
      survey.addRow(samples);
    } else {
      survey.addRgb8Row(decoder.rawRow(header, y));
    }
    // Raw rasters need not be read to the end: their size is known and the encoding pass checks every sample.
    if (!header.plain && survey.settled) break;
  }
  decoder.finishPass();
  return choosePngLayout(survey);
}

async function encodeImage(decoder: NetpbmDecoder, header: NetpbmHeader, layout: PngLayout, sink: ByteSink, options: ConvertOptions): Promise<void> {
  const encoder = new RowEncoder(header, layout);
  const writer = new PngWriter(sink, { level: options.compression ?? defaultCompression(layout) });
  try {
    const channels = layout.colorType === 2 ? 3 : 1;
    await writer.writeHeader({
      width: header.width,
      height: header.height,
      bitDepth: layout.bitDepth,
      colorType: layout.colorType,
      palette: layout.palette?.rgb,
      significantBits: layout.significantBits ? new Array(channels).fill(layout.significantBits) : undefined,
    });
    decoder.rewind(header);
    const raw = encoder.rawIsScanline || encoder.takesRgb8ForPalette;
    const samples = raw ? undefined : new Uint16Array(header.width * header.channels);
    const rowLength = encoder.lineBytes + 1;
    for (let y = 0; y < header.height; y++) {
      if (y % CHECK_EVERY_ROWS === 0) options.signal?.throwIfAborted();
      const out = writer.rowBuffer(rowLength);
      if (samples) {
        decoder.readRow(header, samples, y);
        encoder.encodeSamples(samples, out);
      } else if (encoder.rawIsScanline) {
        encoder.encodeScanline(decoder.rawRow(header, y), out);
      } else {
        encoder.encodeRgb8Palette(decoder.rawRow(header, y), out);
      }
      await writer.commitRow(rowLength);
    }
    decoder.finishPass();
    await writer.end();
  } catch (error) {
    writer.abort();
    throw error;
  }
}

function describe(header: NetpbmHeader, layout: PngLayout, bytes: number, path?: string): ConvertedImage {
  return {
    index: header.index,
    format: header.format,
    width: header.width,
    height: header.height,
    maxval: header.maxval,
    png: {
      colorType: layout.colorType === 3 ? 'palette' : layout.colorType === 2 ? 'rgb' : 'gray',
      bitDepth: layout.bitDepth,
      ...(layout.palette ? { paletteSize: layout.palette.keys.length } : {}),
      ...(layout.significantBits ? { significantBits: layout.significantBits } : {}),
      bytes,
      ...(path ? { path } : {}),
    },
  };
}

/**
 * Where to write `path`, and whether by temp file + rename. Renaming over a symlink would
 * replace the link (think -o /dev/stdout), and over a device it would replace the device,
 * so links are followed to a regular file, and anything else that is not one is written in place.
 */
async function resolveOutput(path: string): Promise<{ path: string; atomic: boolean }> {
  const st = await lstat(path).catch(() => undefined);
  if (!st) return { path, atomic: true };
  if (st.isSymbolicLink()) {
    const real = await realpath(path).catch(() => undefined);
    const target = real ? await stat(real).catch(() => undefined) : undefined;
    if (target?.isDirectory()) throw new OzkitError('USAGE', `${path}: is a directory`, { hint: 'give the PNG file to write' });
    if (real && target?.isFile()) return { path: real, atomic: true };
    return { path, atomic: false };
  }
  if (st.isDirectory()) throw new OzkitError('USAGE', `${path}: is a directory`, { hint: 'give the PNG file to write' });
  return { path, atomic: st.isFile() };
}

function fileSink(handle: FileHandle): ByteSink & { bytes: () => number } {
  let written = 0;
  const sink = async (bytes: Buffer) => {
    let offset = 0;
    while (offset < bytes.length) {
      const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset);
      offset += bytesWritten;
    }
    written += bytes.length;
  };
  return Object.assign(sink, { bytes: () => written });
}

function outputError(path: string, error: unknown): OzkitError {
  if (error instanceof OzkitError) return error;
  const e = toOzkitError(error);
  // An output that cannot be made (a missing folder too) is an output error, 74, not a missing input.
  const code = e.code === 'INTERNAL' || e.code === 'INPUT_MISSING' ? 'IO' : e.code;
  const errno = (error as NodeJS.ErrnoException).code;
  const message = errno === 'ENOENT' ? `the folder ${dirname(path)} does not exist` : (error as Error).message;
  return new OzkitError(code, `${path}: cannot write: ${message}`, { cause: error });
}

/**
 * Converts every image of a netpbm input to PNG files: `outPath` for the first, then
 * `outPath` with `-1`, `-2`… before `.png`. Pixels match netpbm's pnmtopng exactly. Each file is
 * written to a temporary name and renamed only when every image converted, so an error
 * leaves no output behind.
 */
export async function netpbmToPng(input: NetpbmInput, outPath: string, options: ConvertOptions = {}): Promise<ConvertResult> {
  const label = labelOf(input, options);
  const source = await openInput(input, label, options.signal);
  const done: { tmp: string; path: string }[] = [];
  let current: { tmp?: string; handle?: FileHandle } | undefined;
  const images: ConvertedImage[] = [];
  try {
    const decoder = new NetpbmDecoder(new ByteReader(source), label);
    for (let header = decoder.nextHeader(); header; header = decoder.nextHeader()) {
      const layout = surveyImage(decoder, header, options.signal);
      const path = outputPathFor(outPath, header.index);
      const target = await resolveOutput(path);
      // A regular file (or a new one) is replaced atomically; a device, FIFO or link to one is written through.
      const tmp = target.atomic ? join(dirname(target.path), `.${basename(target.path)}.${process.pid}.${Math.random().toString(36).slice(2, 8)}.tmp`) : undefined;
      current = { tmp };
      try {
        current.handle = tmp ? await open(tmp, 'wx', 0o644) : await open(target.path, 'w');
      } catch (error) {
        throw outputError(path, error);
      }
      const sink = fileSink(current.handle);
      try {
        await encodeImage(decoder, header, layout, sink, options);
      } catch (error) {
        if (error instanceof OzkitError || options.signal?.aborted) throw error;
        throw outputError(path, error);
      }
      await current.handle.close();
      current.handle = undefined;
      if (tmp) done.push({ tmp, path: target.path });
      current = undefined;
      images.push(describe(header, layout, sink.bytes(), path));
    }
    for (const { tmp, path } of done) {
      try {
        await rename(tmp, path);
      } catch (error) {
        throw outputError(path, error);
      }
    }
    done.length = 0;
    for (const image of images) options.onImage?.(image);
    return { images };
  } catch (error) {
    if (current) {
      await current.handle?.close().catch(() => {});
      if (current.tmp) await rm(current.tmp, { force: true });
    }
    for (const { tmp } of done) await rm(tmp, { force: true });
    throw error;
  } finally {
    await source.close();
  }
}

export interface StreamResult extends ConvertResult {
  /** Images in the input; only the first is written to a stream. */
  imageCount: number;
}

/**
 * Converts the first image of a netpbm input to PNG on a stream (stdout). Every image of
 * the input is checked first, so a damaged input writes nothing; `imageCount` tells the
 * caller whether images were left out (a stream holds one PNG).
 */
export async function netpbmToPngStream(input: NetpbmInput, output: NodeJS.WritableStream, options: ConvertOptions = {}): Promise<StreamResult> {
  const label = labelOf(input, options);
  const source = await openInput(input, label, options.signal);
  try {
    const decoder = new NetpbmDecoder(new ByteReader(source), label);
    const first = decoder.nextHeader()!;
    const layout = surveyImage(decoder, first, options.signal);
    let imageCount = 1;
    for (let header = decoder.nextHeader(); header; header = decoder.nextHeader()) {
      surveyImage(decoder, header, options.signal);
      imageCount++;
    }
    let written = 0;
    let streamError: unknown;
    const onError = (error: unknown) => {
      streamError ??= error;
    };
    output.on('error', onError);
    const sink: ByteSink = async (bytes) => {
      if (streamError) throw streamError;
      written += bytes.length;
      if (!output.write(bytes)) {
        await Promise.race([once(output, 'drain'), once(output, 'error').then(([e]) => Promise.reject(e))]);
      }
      if (streamError) throw streamError;
    };
    try {
      await encodeImage(decoder, first, layout, sink, options);
    } catch (error) {
      if (error instanceof OzkitError || options.signal?.aborted) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      throw new OzkitError('IO', code === 'EPIPE' ? 'output pipe closed' : `cannot write PNG: ${(error as Error).message}`, { cause: error });
    } finally {
      output.off('error', onError);
    }
    const image = describe(first, layout, written);
    options.onImage?.(image);
    return { images: [image], imageCount };
  } finally {
    await source.close();
  }
}

/**
 * For guest-install: converts a QEMU `screendump` (P6) to a PNG at `pngPath`, atomically.
 * Throws OzkitError BAD_IMAGE (exit 65) for a damaged dump, INPUT_MISSING when it is absent.
 */
export async function screendumpToPng(ppmPath: string, pngPath: string, options: ConvertOptions = {}): Promise<ConvertedImage> {
  const result = await netpbmToPng(ppmPath, pngPath, options);
  return result.images[0];
}
