import { open, rm, stat, type FileHandle } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { CommandContext } from '@ozkit/command';
import { OzkitError } from '@ozkit/errors';
import { openBounded } from '@ozkit/build-document';
import { netpbmToPng, netpbmToPngStream, type ConvertedImage } from '@ozkit/netpbm';
import { formatBytes } from '@ozkit/log';
import { convertDirectory, type BatchResult, type ConvertedFile, type FailedFile } from './convert-directory.js';
import { peekStream, sniffInput } from './input-kind.js';

/** What the command line asked for (parsed by cli.ts). */
export interface Ppm2pngArgs {
  /** IN, at most one. */
  positionals: string[];
  output?: string;
  dir?: string;
  compression?: number;
  in?: string;
  out?: string;
  /** --remove-source: delete each netpbm file once converted (files, --dir, documents). */
  removeSource?: boolean;
  /** -c/--config: where the cache and screenshot folders are (document mode accepts screenshots there). */
  config?: string;
}

/**
 * The ppm2png command once its flags are parsed: picks the mode (one image, --dir, or a
 * build document), runs it, reports on stderr, and throws OzkitError for the exit status.
 */
export async function ppm2png(args: Ppm2pngArgs, ctx: CommandContext): Promise<void> {
  const tool = ctx.tool;
  const { positionals, compression } = args;
  if (positionals.length > 1)
    throw new OzkitError('USAGE', `one input at a time (got ${positionals.length}); use --dir for a folder`, { hint: `see ${tool} --help` });
  const input = positionals[0];

  if (args.dir !== undefined) {
    if (input !== undefined || args.in !== undefined) throw new OzkitError('USAGE', '--dir takes no other input', { hint: `see ${tool} --help` });
    const result = await convertDirectory(args.dir, { outDir: args.output, compression, removeSource: args.removeSource, signal: ctx.signal, ...reporters(ctx) });
    if (result.converted.length + result.failed.length === 0) ctx.logger.warn(`${args.dir}: no .ppm/.pgm/.pbm/.pnm files`);
    finishBatch(result, 'files');
    return;
  }

  if (args.in !== undefined) {
    if (input !== undefined) throw new OzkitError('USAGE', 'give the build document either as IN or with --in, not both', { hint: `see ${tool} --help` });
    return convertDocument(ctx, { in: args.in }, args);
  }

  let head: Buffer;
  let source: string | AsyncIterable<Buffer>;
  const label = input !== undefined && input !== '-' ? input : '<stdin>';
  if (input !== undefined && input !== '-') {
    const opened = await openInput(input, ctx.signal);
    if (opened.stream) {
      // A FIFO or device (e.g. bash's <(…)): read once, like stdin; opening it again would lose data.
      const peeked = await peekStream(opened.stream);
      head = peeked.head;
      source = peeked.all;
    } else {
      head = opened.head;
      source = input;
    }
  } else {
    if (process.stdin.isTTY)
      throw new OzkitError('TTY_INPUT', 'no input: give a file, pipe an image or a build document in, or use --dir', { hint: `see ${tool} --help` });
    // An interrupt must not wait for a writer that stalls: closing stdin ends any pending read.
    ctx.signal.addEventListener('abort', () => process.stdin.destroy(), { once: true });
    ctx.logger.debug('reading the input from stdin');
    const peeked = await peekStream(process.stdin);
    head = peeked.head;
    source = peeked.all;
  }
  const isDocument = sniffInput(head) === 'document';
  if (isDocument && args.output !== undefined)
    throw new OzkitError('USAGE', '-o names a PNG; a build document is written to stdout or --out', { hint: `see ${tool} --help` });
  if (!isDocument && args.out !== undefined)
    throw new OzkitError('USAGE', '--out is for a build document; the input is an image (write it with -o OUT.png)', { hint: `see ${tool} --help` });
  if (isDocument) return convertDocument(ctx, typeof source === 'string' ? { in: source } : { stdin: source, label }, args);

  const output = args.output;
  if (output === undefined || output === '-') {
    if (process.stdout.isTTY) throw new OzkitError('USAGE', 'refusing to write a PNG to a terminal', { hint: 'give -o OUT.png, or redirect stdout to a file' });
    const result = await netpbmToPngStream(source, process.stdout, { compression, signal: ctx.signal, label });
    ctx.logger.debug(describeImage(result.images[0]));
    ctx.logger.event('converted', { input: label, ...result.images[0] });
    if (result.imageCount > 1)
      ctx.logger.warn(`the input holds ${result.imageCount} images; only the first went to stdout (use -o OUT.png to write all: OUT.png, OUT-1.png…)`);
    return;
  }
  const result = await netpbmToPng(source, output, { compression, signal: ctx.signal, label });
  if (args.removeSource && typeof source === 'string' && !result.images.some((i) => resolve(i.png.path!) === resolve(source))) await rm(source, { force: true });
  for (const image of result.images) {
    ctx.logger.debug(`${image.png.path}: ${describeImage(image)}`);
    ctx.logger.event('converted', { input: label, ...image });
  }
  if (result.images.length > 1) ctx.logger.info(`${result.images.length} images: ${result.images.map((i) => i.png.path).join(', ')}`);
}

/** Document mode, through runStage like every stage (the document arrives by path or as the stream already begun). */
async function convertDocument(ctx: CommandContext, input: { in?: string; stdin?: AsyncIterable<Buffer>; label?: string }, args: Ppm2pngArgs): Promise<void> {
  const [{ runStage }, { ppm2pngStage }, { loadConfig }] = await Promise.all([import('@ozkit/command'), import('./stage-declaration.js'), import('@ozkit/config')]);
  const { settings } = loadConfig({ configFile: args.config });
  const folders = [settings.cacheDir, settings.screenshotDir];
  await runStage(ppm2pngStage, { compression: args.compression, removeSource: args.removeSource, folders, ...reporters(ctx) }, { ctx, ...input, out: args.out });
}

export function reporters(ctx: CommandContext) {
  return {
    onFile(file: ConvertedFile) {
      for (const image of file.images) {
        ctx.logger.info(`${file.input}${file.images.length > 1 ? ` (image ${image.index + 1})` : ''} -> ${image.png.path} (${describeImage(image)})`);
        ctx.logger.event('converted', { input: file.input, ...image });
      }
    },
    onFailure(failure: FailedFile) {
      ctx.logger.error(failure.error.message, ctx.logger.format === 'json' ? { code: failure.error.code, input: failure.input } : undefined);
    },
  };
}

export function finishBatch(result: BatchResult, what: string): void {
  const error = batchError(result, what);
  if (error) throw error;
}

/** The error a batch ends with when some files could not be converted. */
export function batchError(result: BatchResult, what: string): OzkitError | undefined {
  if (result.failed.length === 0) return undefined;
  const first = result.failed[0].error;
  const total = result.failed.length + result.converted.length;
  return new OzkitError(first.code, `${result.failed.length} of ${total} ${what} could not be converted`, { exitCode: first.exitCode });
}

function describeImage(image: ConvertedImage): string {
  const png = image.png;
  const kind = png.colorType === 'palette' ? `palette of ${png.paletteSize}` : `${png.colorType} ${png.bitDepth}-bit`;
  return `${image.width}x${image.height} ${image.format} maxval ${image.maxval} -> ${kind}, ${formatBytes(png.bytes)}`;
}

/** Opens IN: a regular file gives its first bytes (and is read again by path); anything else a stream. */
async function openInput(path: string, signal: AbortSignal): Promise<{ head: Buffer; stream?: undefined } | { stream: NodeJS.ReadableStream; head?: undefined }> {
  let handle: FileHandle;
  try {
    const st = await stat(path);
    // Opening a FIFO blocks until a writer comes: openBounded's open ends on SIGINT/SIGTERM.
    if (st.isFIFO()) return { stream: await openBounded(path, signal) };
    handle = await open(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new OzkitError('INPUT_MISSING', `${path}: no such file`);
    throw new OzkitError('IO', `${path}: cannot read: ${(error as Error).message}`);
  }
  try {
    const st = await handle.stat();
    if (st.isDirectory()) throw new OzkitError('USAGE', `${path}: is a directory`, { hint: `use --dir ${path}` });
    if (!st.isFile()) {
      const stream = handle.createReadStream();
      signal.addEventListener('abort', () => stream.destroy(), { once: true });
      return { stream };
    }
    const buf = Buffer.alloc(64);
    const { bytesRead } = await handle.read(buf, 0, 64, 0);
    await handle.close();
    return { head: buf.subarray(0, bytesRead) };
  } catch (error) {
    await handle.close().catch(() => {});
    if (error instanceof OzkitError) throw error;
    throw new OzkitError('IO', `${path}: cannot read: ${(error as Error).message}`);
  }
}
