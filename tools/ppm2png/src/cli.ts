import { parseArgs } from 'node:util';
import { commonOptions, documentOptions, packageVersion, runCommand, verbosityOf } from '@ozkit/command';
import { OzkitError } from '@ozkit/errors';
import { ppm2png, type Ppm2pngArgs } from './ppm2png-command.js';

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
  --out) with each PNG path added after its source, exit 0 (a screenshot that
  cannot be converted: exit 66/65, and --out FILE becomes FILE.failed.json).
PNGs are written under a temporary name and renamed when complete, so an error
leaves no partial file. A bad image exits 65 with one line saying what is wrong.`;

/** The options, in yargs' format: parseArgs reads them for every run, yargs only renders --help. */
const options = {
  output: { alias: 'o', type: 'string', requiresArg: true, describe: 'PNG to write (multi-image: OUT-1.png…); with --dir, the output folder; "-" for stdout' },
  dir: { type: 'string', requiresArg: true, describe: 'convert every .ppm/.pgm/.pbm/.pnm in this folder' },
  'remove-source': { type: 'boolean', describe: 'delete each netpbm file once its PNG is written (not with stdin)' },
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

interface Args extends Ppm2pngArgs {
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
    removeSource: v['remove-source'] === true,
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
  await ppm2png(args, ctx);
});
