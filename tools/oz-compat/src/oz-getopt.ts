import { OzkitError, type ExitCodeValue } from '@ozkit/errors';

/** One of an Oz command's options: `-a FILE` / `--auto FILE`. */
export interface OzOption {
  short: string;
  long: string;
  /** Takes a value (`-a FILE`, `-d3`, `--auto=FILE`). */
  value?: boolean;
  /** The value's name in the usage text (Oz's: `<auto>`, `<level>`…). */
  arg?: string;
  /** Help text line(s), as Oz's usage() prints them. */
  help: string;
}

export interface OzCommandLine {
  /** By long name; a flag is `true`, a repeated option keeps its last value. */
  options: Map<string, string | true>;
  positionals: string[];
}

/** Oz's usage errors exit 1 (its usage() ends in sys.exit(1)). */
export const OZ_USAGE_EXIT = 1 as ExitCodeValue;

export function ozUsageError(tool: string, message: string): OzkitError {
  return new OzkitError('USAGE', message, { exitCode: OZ_USAGE_EXIT, hint: `see ${tool} -h` });
}

/**
 * Oz parses its command lines with Python's getopt.gnu_getopt: options and arguments in any
 * order, `--` ends the options, short flags cluster (`-pu`), a short option's value may be
 * attached (`-d3`) or the next word. Long options take `--auto FILE` or `--auto=FILE` (Oz lists
 * its long names without `=`, so there they silently take no value; here they work).
 */
export function ozGetopt(tool: string, argv: readonly string[], spec: readonly OzOption[]): OzCommandLine {
  const options = new Map<string, string | true>();
  const positionals: string[] = [];
  const byShort = new Map(spec.map((o) => [o.short, o]));
  const byLong = new Map(spec.map((o) => [o.long, o]));
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i];
    if (word === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (word.startsWith('--')) {
      const [name, attached] = word.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
      const matches = [...byLong.keys()].filter((l) => l === name || l.startsWith(name));
      const long = matches.includes(name) ? name : matches.length === 1 ? matches[0] : undefined;
      if (long === undefined) throw ozUsageError(tool, matches.length > 1 ? `option --${name} not a unique prefix` : `option --${name} not recognized`);
      const option = byLong.get(long)!;
      if (!option.value) {
        if (attached !== undefined) throw ozUsageError(tool, `option --${long} must not have an argument`);
        options.set(long, true);
      } else if (attached !== undefined) options.set(long, attached);
      else if (i + 1 < argv.length) options.set(long, argv[++i]);
      else throw ozUsageError(tool, `option --${long} requires argument`);
      continue;
    }
    if (word.startsWith('-') && word !== '-') {
      for (let j = 1; j < word.length; j++) {
        const option = byShort.get(word[j]);
        if (!option) throw ozUsageError(tool, `option -${word[j]} not recognized`);
        if (!option.value) {
          options.set(option.long, true);
          continue;
        }
        const rest = word.slice(j + 1);
        if (rest !== '') options.set(option.long, rest);
        else if (i + 1 < argv.length) options.set(option.long, argv[++i]);
        else throw ozUsageError(tool, `option -${option.short} requires argument`);
        break;
      }
      continue;
    }
    positionals.push(word);
  }
  return { options, positionals };
}

/** Oz's -d levels as ozkit verbosity: 0 errors only (Oz's default), 1–2 warnings and progress, 3 debug, 4 more. */
export function verbosityFromDebugLevel(tool: string, raw: string | true | undefined): number {
  if (raw === undefined) return -1;
  if (raw === true || !/^\d+$/.test(raw)) throw ozUsageError(tool, `-d wants a log level 0–4 (got ${raw === true ? 'nothing' : JSON.stringify(raw)})`);
  const level = Number(raw);
  return level === 0 ? -1 : level <= 2 ? 0 : level === 3 ? 1 : 2;
}

/** The stage CLIs' flags for a verbosity. */
export function verbosityFlags(verbosity: number): string[] {
  return verbosity < 0 ? ['-q'] : verbosity === 0 ? [] : [`-${'v'.repeat(verbosity)}`];
}

/** Oz-style usage text: the synopsis, then one line per option. */
export function usageText(synopsis: string, spec: readonly OzOption[], footer = ''): string {
  const lines = [`Usage: ${synopsis}`, ' OPTIONS:'];
  for (const o of spec) {
    const left = `  -${o.short}${o.value ? ` <${o.arg ?? o.long}>` : ''}, --${o.long}`;
    lines.push(`${left.padEnd(34)} ${o.help}`);
  }
  return lines.join('\n') + '\n' + (footer ? footer.replace(/\n?$/, '\n') : '');
}
