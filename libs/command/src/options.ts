export interface CommonArgs {
  config?: string;
  verbose?: number;
  quiet?: boolean;
  logFormat?: string;
  'log-format'?: string;
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
  const verbosity = quiet ? -1 : argv.filter((a) => a === '--verbose' || /^-v+$/.test(a)).reduce((n, a) => n + (a === '--verbose' ? 1 : a.length - 1), 0);
  return { verbosity, logFormat: json ? 'json' : 'text' };
}
