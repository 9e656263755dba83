import { parseArgs } from 'node:util';
import { packageVersion, renderHelp, runCommand, verbosityOf } from '@ozkit/command';
import type { OptionDescriptor } from '@ozkit/config';
import { OzkitError } from '@ozkit/errors';
import type { Ppm2pngArgs } from './ppm2png-command.js';
import { cli } from './options.js';

const tool = cli.tool;
const version = packageVersion(new URL('../package.json', import.meta.url));

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
  for (const [name, o] of Object.entries(cli.options) as [string, OptionDescriptor][]) {
    config[name] = { type: o.kind === 'string' ? 'string' : 'boolean', ...(o.short ? { short: o.short } : {}), ...(o.kind === 'count' ? { multiple: true } : {}) };
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
    process.stdout.write(renderHelp(cli, version));
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
  const { ppm2png } = await import('./ppm2png-command.js');
  await ppm2png(args, ctx);
});
