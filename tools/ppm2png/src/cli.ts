import { open } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { commonOptions, documentOptions, packageVersion, runCommand, verbosityOf, type CommandContext } from '@ozkit/command';
import { OzkitError } from '@ozkit/errors';
import type { BuildDocument } from '@ozkit/build-document';
import { netpbmToPng, netpbmToPngStream, type ConvertedImage } from '@ozkit/netpbm';
import { formatBytes } from '@ozkit/log';
import { convertDirectory, type BatchResult, type ConvertedFile, type FailedFile } from './convert-directory.js';
import { convertDocumentScreenshots } from './convert-screenshots.js';
import { peekStream, sniffInput } from './input-kind.js';

const tool = 'ppm2png';
const version = packageVersion(new URL('../package.json', import.meta.url));

const usage = `$0 [IN] [-o OUT.png]
$0 --dir DIR [-o OUTDIR]
… | $0 [--in DOC] [--out DOC]

Convert netpbm images (PPM/PGM/PBM, P1–P6, any maxval 1..65535) to PNG with the
same pixels netpbm's pnmtopng writes: a palette when there are few colors,
grayscale for gray images, 16-bit samples (with an sBIT chunk) above maxval 255.

Input is IN or stdin; its first bytes tell a netpbm image from a build document.
* An image: the PNG goes to -o OUT.png, else to stdout. A file holding several
  images gives OUT.png, OUT-1.png, OUT-2.png…; stdout gets only the first (a
  warning says how many were left out).
* --dir DIR: every .ppm/.pgm/.pbm/.pnm directly in DIR becomes a .png of the
  same name beside it (or in -o OUTDIR), each reported on stderr. A damaged
  file is reported, the others are still converted, and the exit status is 65.
* A build document: the netpbm files listed under failure.screenshots (relative
  to its workdir) become PNGs beside them; the document is printed (stdout or
  --out) with each PNG path added after its source, exit 0.
PNGs are written under a temporary name and renamed when complete, so an error
leaves no partial file. A bad image exits 65 with one line saying what is wrong.`;

/** The options, in yargs' format: parseArgs reads them for every run, yargs only renders --help. */
const options = {
  output: { alias: 'o', type: 'string', requiresArg: true, describe: 'PNG to write (multi-image: OUT-1.png…); with --dir, the output folder; "-" for stdout' },
  dir: { type: 'string', requiresArg: true, describe: 'convert every .ppm/.pgm/.pbm/.pnm in this folder' },
  compression: { type: 'string', requiresArg: true, describe: 'zlib level 0 (none) to 9 (smallest); default 6 for palette/1–4-bit PNGs, 4 for 8/16-bit' },
  ...commonOptions,
  ...documentOptions,
} as const;

const examples: [string, string][] = [
  ['$0 shot.ppm -o shot.png', 'one screenshot'],
  ['$0 < shot.ppm > shot.png', 'as a filter'],
  ['$0 --dir ~/.oz/screenshots', 'every screenshot in a folder, PNG beside each'],
  ['guest-install < doc.json | $0 > doc2.json', "the failed stage's screenshots, as PNG paths in the document"],
];

interface Args {
  positionals: string[];
  output?: string;
  dir?: string;
  compression?: number;
  in?: string;
  out?: string;
  config?: string;
  verbose: number;
  quiet: boolean;
  logFormat: string;
  help: boolean;
  version: boolean;
}

/**
 * Parses with node:util's parseArgs rather than yargs: loading yargs costs ~60 ms, about as
 * long as converting a 1920x1080 screenshot, and ppm2png is measured against pnmtopng.
 */
function parseCommandLine(argv: string[]): Args {
  const config: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {
    help: { type: 'boolean' },
    version: { type: 'boolean' },
  };
  for (const [name, o] of Object.entries(options) as [string, { type: string; alias?: string }][]) {
    config[name] = { type: o.type === 'string' ? 'string' : 'boolean', ...(o.alias ? { short: o.alias } : {}), ...(o.type === 'count' ? { multiple: true } : {}) };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: config, allowPositionals: true, strict: true });
  } catch (error) {
    const e = error as Error & { code?: string };
    const unknown = /^Unknown option '([^']+)'/.exec(e.message);
    throw new OzkitError('USAGE', unknown ? `unknown option ${unknown[1]}` : e.message.split('. ')[0], { hint: `see ${tool} --help` });
  }
  const v = parsed.values as Record<string, string | boolean | boolean[] | undefined>;
  const logFormat = (v['log-format'] as string | undefined) ?? 'text';
  const args: Args = {
    positionals: parsed.positionals,
    output: v.output as string | undefined,
    dir: v.dir as string | undefined,
    in: v.in as string | undefined,
    out: v.out as string | undefined,
    config: v.config as string | undefined,
    verbose: Array.isArray(v.verbose) ? v.verbose.length : 0,
    quiet: v.quiet === true,
    logFormat,
    help: v.help === true,
    version: v.version === true,
  };
  if (logFormat !== 'text' && logFormat !== 'json')
    throw new OzkitError('USAGE', `--log-format must be text or json (got ${logFormat})`, { hint: `see ${tool} --help` });
  if (v.compression !== undefined) {
    const level = Number(v.compression);
    if (!/^\d$/.test(String(v.compression)) || level > 9)
      throw new OzkitError('USAGE', `--compression must be a whole number from 0 to 9 (got ${String(v.compression)})`, { hint: `see ${tool} --help` });
    args.compression = level;
  }
  return args;
}

async function helpText(): Promise<string> {
  const { default: yargs } = await import('yargs');
  const parser = yargs([])
    .scriptName(tool)
    .locale('en')
    .usage(usage)
    .positional('IN', { type: 'string', describe: 'netpbm file (or build document) to read; default stdin' })
    .options(options)
    .version(version)
    .help()
    .wrap(Math.min(100, process.stdout.columns || 80));
  for (const [command, description] of examples) parser.example(command, description);
  return parser.getHelp();
}

let args: Args | undefined;
let usageError: unknown;
try {
  args = parseCommandLine(process.argv.slice(2));
} catch (error) {
  usageError = error;
}

await runCommand({ tool, version, verbosity: args ? verbosityOf(args) : 0, logFormat: args?.logFormat }, async (ctx) => {
  if (!args) throw usageError;
  if (args.help) {
    process.stdout.write((await helpText()) + '\n');
    return;
  }
  if (args.version) {
    process.stdout.write(version + '\n');
    return;
  }
  if (args.config !== undefined) {
    // ppm2png has no setting of its own in the config file; a file given with -c must still be valid.
    const { loadConfig } = await import('@ozkit/config');
    loadConfig({ configFile: args.config });
  }
  const { positionals, compression } = args;
  if (positionals.length > 1) throw new OzkitError('USAGE', `one input at a time (got ${positionals.length}); use --dir for a folder`, { hint: `see ${tool} --help` });
  const input = positionals[0];

  if (args.dir !== undefined) {
    if (input !== undefined || args.in !== undefined) throw new OzkitError('USAGE', '--dir takes no other input', { hint: `see ${tool} --help` });
    const result = await convertDirectory(args.dir, { outDir: args.output, compression, signal: ctx.signal, ...reporters(ctx) });
    if (result.converted.length + result.failed.length === 0) ctx.logger.warn(`${args.dir}: no .ppm/.pgm/.pbm/.pnm files`);
    finishBatch(result, 'files');
    return;
  }

  if (args.in !== undefined) {
    const { readBuildDocument } = await import('@ozkit/build-document');
    return convertDocument(ctx, await readBuildDocument({ in: args.in }), args.out, compression);
  }

  let head: Buffer;
  let source: string | AsyncIterable<Buffer>;
  if (input !== undefined && input !== '-') {
    head = await readHead(input);
    source = input;
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
  if (sniffInput(head) === 'document') {
    const { parseBuildDocument, readBuildDocument } = await import('@ozkit/build-document');
    if (typeof source === 'string') return convertDocument(ctx, await readBuildDocument({ in: source }), args.out, compression);
    const chunks: Buffer[] = [];
    for await (const chunk of source) chunks.push(chunk);
    return convertDocument(ctx, parseBuildDocument(Buffer.concat(chunks).toString('utf8'), '<stdin>'), args.out, compression);
  }

  const output = args.output;
  if (output === undefined || output === '-') {
    if (process.stdout.isTTY)
      throw new OzkitError('USAGE', 'refusing to write a PNG to a terminal', { hint: 'give -o OUT.png, or redirect stdout to a file' });
    const result = await netpbmToPngStream(source, process.stdout, { compression, signal: ctx.signal });
    ctx.logger.debug(describeImage(result.images[0]));
    if (result.imageCount > 1)
      ctx.logger.warn(`the input holds ${result.imageCount} images; only the first went to stdout (use -o OUT.png to write all: OUT.png, OUT-1.png…)`);
    return;
  }
  const result = await netpbmToPng(source, output, { compression, signal: ctx.signal });
  for (const image of result.images) ctx.logger.debug(`${image.png.path}: ${describeImage(image)}`);
  if (result.images.length > 1) ctx.logger.info(`${result.images.length} images: ${result.images.map((i) => i.png.path).join(', ')}`);
});

async function convertDocument(ctx: CommandContext, doc: BuildDocument, out: string | undefined, compression: number | undefined): Promise<void> {
  const { appendStage, writeBuildDocument } = await import('@ozkit/build-document');
  const startedAt = new Date();
  const result = await convertDocumentScreenshots(doc, { compression, signal: ctx.signal, ...reporters(ctx) });
  if (result.listed === 0) ctx.logger.info('the build document lists no netpbm screenshots; passing it on unchanged');
  const next = result.doc;
  appendStage(next, {
    tool,
    version,
    startedAt: startedAt.toISOString(),
    seconds: Math.round((Date.now() - startedAt.getTime()) / 100) / 10,
    converted: result.converted.flatMap((file) => file.images.map((image) => image.png.path!)),
    ...(result.failed.length ? { failed: result.failed.map((f) => f.input) } : {}),
  });
  await writeBuildDocument(next, { out });
  finishBatch(result, 'screenshots');
}

function reporters(ctx: CommandContext) {
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

function finishBatch(result: BatchResult, what: string): void {
  if (result.failed.length === 0) return;
  const first = result.failed[0].error;
  const total = result.failed.length + result.converted.length;
  throw new OzkitError(first.code, `${result.failed.length} of ${total} ${what} could not be converted`, { exitCode: first.exitCode });
}

function describeImage(image: ConvertedImage): string {
  const png = image.png;
  const kind = png.colorType === 'palette' ? `palette of ${png.paletteSize}` : `${png.colorType} ${png.bitDepth}-bit`;
  return `${image.width}x${image.height} ${image.format} maxval ${image.maxval} -> ${kind}, ${formatBytes(png.bytes)}`;
}

async function readHead(path: string): Promise<Buffer> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new OzkitError('INPUT_MISSING', `${path}: no such file`);
    throw new OzkitError('IO', `${path}: cannot read: ${(error as Error).message}`);
  }
  try {
    const buf = Buffer.alloc(64);
    const { bytesRead } = await handle.read(buf, 0, 64, 0);
    return buf.subarray(0, bytesRead);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EISDIR') throw new OzkitError('USAGE', `${path}: is a directory`, { hint: `use --dir ${path}` });
    throw new OzkitError('IO', `${path}: cannot read: ${(error as Error).message}`);
  } finally {
    await handle.close();
  }
}
