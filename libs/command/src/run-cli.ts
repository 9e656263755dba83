import { OzkitError } from '@ozkit/errors';
import type { ArgsOf, OptionDescriptor, OptionSet } from '@ozkit/config';
import type { Logger } from '@ozkit/log';
import { renderHelp, type CliSpec } from './cli-spec.js';
import { applyCliConventions, type ConventionalParser } from './parser-conventions.js';
import { logSettingsFromArgv } from './options.js';
import { runCommand, type CommandContext } from './run-command.js';

/** The yargs methods runCli uses, typed structurally: libs never import yargs, the tool hands its copy over. */
interface OptionParser extends ConventionalParser<OptionParser> {
  scriptName(name: string): OptionParser;
  locale(locale: string): OptionParser;
  options(options: Record<string, unknown>): OptionParser;
  command(command: string, description: false, builder: (parser: OptionParser) => OptionParser): OptionParser;
  positional(name: string, options: Record<string, unknown>): OptionParser;
  parseAsync(): Promise<Record<string, unknown>>;
}

export interface RunCliOptions {
  version: string;
  /** `() => import('yargs')`: loaded only for a real run, not for --help or --version. */
  yargs: () => Promise<{ default: (argv: string[]) => unknown }>;
  argv?: readonly string[];
}

/** The options as yargs reads them. Numbers come in as text so that a bad one is refused with its own words, not read as NaN. */
export function yargsOptions(options: OptionSet): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [flag, option] of Object.entries(options)) {
    const type = option.kind === 'boolean' || option.kind === 'count' ? option.kind : 'string';
    out[flag] = {
      type,
      ...(option.short ? { alias: option.short } : {}),
      ...(option.choices ? { choices: option.choices } : {}),
      ...(option.default !== undefined ? { default: option.default } : {}),
      ...(option.repeatable ? { array: true } : {}),
      ...(type === 'string' && !option.valueOptional ? { requiresArg: true } : {}),
    };
  }
  return out;
}

/** --help or --version among the arguments (before `--`), which need neither yargs nor the stage. */
export function quickAnswer(argv: readonly string[]): 'help' | 'version' | undefined {
  for (const arg of argv) {
    if (arg === '--') return undefined;
    if (arg === '--help') return 'help';
    if (arg === '--version') return 'version';
  }
  return undefined;
}

/** Old flag names rewritten to the new ones, each with a warning. */
export function renameDeprecated(argv: readonly string[], options: OptionSet, logger: Pick<Logger, 'warn'>): string[] {
  const renames = new Map<string, string>();
  for (const [flag, option] of Object.entries(options)) for (const old of option.deprecated ?? []) renames.set(old, flag);
  const warned = new Set<string>();
  let end = false;
  return argv.map((arg) => {
    if (arg === '--') end = true;
    const match = end ? null : /^--([^=]+)(=.*)?$/.exec(arg);
    const renamed = match ? renames.get(match[1]) : undefined;
    if (!match || renamed === undefined) return arg;
    if (!warned.has(match[1])) logger.warn(`--${match[1]} is deprecated: use --${renamed}`);
    warned.add(match[1]);
    return `--${renamed}${match[2] ?? ''}`;
  });
}

/** Plain numbers (`--step-timeout 30`) checked and converted; settings' numbers are checked by their setting. */
function convertNumbers(options: OptionSet, args: Record<string, unknown>, tool: string): void {
  for (const [flag, option] of Object.entries(options) as [string, OptionDescriptor][]) {
    const value = args[flag];
    if (option.kind !== 'number' || option.setting !== undefined || value === undefined || typeof value === 'number') continue;
    const text = String(value).trim();
    if (!/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(text)) throw new OzkitError('USAGE', `--${flag}: "${String(value)}" is not a number`, { hint: `see ${tool} --help` });
    args[flag] = Number(text);
  }
}

/**
 * A tool's whole command line: --version and --help answered at once from the spec (no yargs, no
 * stage loaded), else the arguments parsed by the spec's options (old names warned about and
 * renamed, numbers checked) and `body` run inside runCommand. A tool's cli.ts is one call to this.
 */
export async function runCli<O extends OptionSet>(
  spec: CliSpec<O>,
  run: RunCliOptions,
  body: (args: ArgsOf<O>, ctx: CommandContext) => Promise<number | void>,
): Promise<void> {
  const argv = run.argv ?? process.argv.slice(2);
  const quick = quickAnswer(argv);
  if (quick === 'version') {
    process.stdout.write(run.version + '\n');
    return;
  }
  if (quick === 'help') {
    process.stdout.write(renderHelp(spec, run.version));
    return;
  }
  await runCommand({ tool: spec.tool, version: run.version, ...logSettingsFromArgv(argv) }, async (ctx) => {
    const { default: yargs } = await run.yargs();
    let parser = (yargs(renameDeprecated(argv, spec.options, ctx.logger)) as OptionParser).scriptName(spec.tool).locale('en').options(yargsOptions(spec.options));
    const positional = spec.positional;
    if (positional)
      parser = parser.command(`$0 [${positional.name}]`, false, (y) => y.positional(positional.name, { type: 'string', describe: positional.describe }));
    const args = await applyCliConventions(parser, spec.tool, run.version).parseAsync();
    if (args.help || args.version) return;
    convertNumbers(spec.options, args, spec.tool);
    return body(args as ArgsOf<O>, ctx);
  });
}
