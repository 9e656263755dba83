/**
 * Option descriptions shared by every tool, as plain objects in yargs' option format
 * (libs never import yargs; a tool's cli.ts passes these to `.options()`).
 */
export const commonOptions = {
  config: { alias: 'c', type: 'string', describe: 'config file (ozkit INI; Oz\'s oz.cfg is accepted)', requiresArg: true },
  verbose: { alias: 'v', type: 'count', describe: 'more detail; stack traces on errors' },
  quiet: { alias: 'q', type: 'boolean', describe: 'errors only' },
  'log-format': { type: 'string', choices: ['text', 'json'], default: 'text', describe: 'stderr as text or NDJSON events' },
} as const;

/** For the stages that read and write a build document. */
export const documentOptions = {
  in: { type: 'string', describe: 'read the build document from FILE instead of stdin', requiresArg: true },
  out: { type: 'string', describe: 'write the build document to FILE (atomically) instead of stdout', requiresArg: true },
} as const;

export interface CommonArgs {
  config?: string;
  verbose?: number;
  quiet?: boolean;
  logFormat?: string;
  'log-format'?: string;
}

export interface DocumentArgs {
  in?: string;
  out?: string;
}

/** -q → -1, default 0, -v → 1, -vv → 2. */
export function verbosityOf(args: CommonArgs): number {
  if (args.quiet) return -1;
  return args.verbose ?? 0;
}

/**
 * -q/-v/--log-format read straight from argv, before yargs parses: the logger must exist first so
 * that usage errors are reported in the requested format too.
 */
export function logSettingsFromArgv(argv: readonly string[]): { verbosity: number; logFormat: 'text' | 'json' } {
  const json = argv.some((a, i) => a === '--log-format=json' || (a === '--log-format' && argv[i + 1] === 'json'));
  const quiet = argv.some((a) => a === '-q' || a === '--quiet');
  const verbosity = quiet
    ? -1
    : argv.filter((a) => a === '--verbose' || /^-v+$/.test(a)).reduce((n, a) => n + (a === '--verbose' ? 1 : a.length - 1), 0);
  return { verbosity, logFormat: json ? 'json' : 'text' };
}
