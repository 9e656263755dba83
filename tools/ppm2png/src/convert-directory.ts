import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { netpbmToPng, type ConvertedImage } from '@ozkit/netpbm';
import { OzkitError, toOzkitError } from '@ozkit/errors';

/** The endings `--dir` and the document mode treat as netpbm images. */
export const NETPBM_EXTENSION = /\.(ppm|pgm|pbm|pnm)$/i;

/** `shot.ppm` → `shot.png` (in `outDir` when given). */
export function pngPathFor(input: string, outDir?: string): string {
  const png = input.replace(NETPBM_EXTENSION, '') + '.png';
  return outDir ? join(outDir, png.split('/').pop()!) : png;
}

export interface ConvertedFile {
  input: string;
  images: ConvertedImage[];
}

export interface FailedFile {
  input: string;
  error: OzkitError;
}

export interface BatchResult {
  converted: ConvertedFile[];
  failed: FailedFile[];
}

export interface BatchOptions {
  compression?: number;
  signal?: AbortSignal;
  /** Delete each netpbm file once its PNG is in place (screenshots are large: 6 MiB at 1080p). */
  removeSource?: boolean;
  /** Called as each file is done (for reporting as it goes). */
  onFile?: (file: ConvertedFile) => void;
  onFailure?: (failure: FailedFile) => void;
}

/** Converts each file to the PNG path `pngPathFor` gives; one damaged file does not stop the others. */
export async function convertFiles(inputs: string[], options: BatchOptions & { outDir?: string } = {}): Promise<BatchResult> {
  const result: BatchResult = { converted: [], failed: [] };
  for (const input of inputs) {
    options.signal?.throwIfAborted();
    try {
      const { images } = await netpbmToPng(input, pngPathFor(input, options.outDir), {
        compression: options.compression,
        signal: options.signal,
      });
      const file = { input, images };
      if (options.removeSource) await rm(input, { force: true });
      result.converted.push(file);
      options.onFile?.(file);
    } catch (error) {
      if (options.signal?.aborted) throw error;
      const failure = { input, error: toOzkitError(error) };
      result.failed.push(failure);
      options.onFailure?.(failure);
    }
  }
  return result;
}

/**
 * `--dir DIR`: every .ppm/.pgm/.pbm/.pnm directly in DIR (not in subfolders), in name order,
 * becomes a .png of the same name beside it (or in `outDir`).
 */
export async function convertDirectory(dir: string, options: BatchOptions & { outDir?: string } = {}): Promise<BatchResult> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new OzkitError('INPUT_MISSING', `${dir}: no such directory`);
    if (code === 'ENOTDIR') throw new OzkitError('USAGE', `${dir}: not a directory`, { hint: 'give a file as IN, or a folder to --dir' });
    throw new OzkitError('IO', `${dir}: cannot list: ${(error as Error).message}`);
  }
  const inputs: string[] = [];
  for (const name of names.filter((n) => NETPBM_EXTENSION.test(n)).sort()) {
    const path = join(dir, name);
    if ((await stat(path).catch(() => undefined))?.isFile()) inputs.push(path);
  }
  return convertFiles(inputs, options);
}
