import { OzkitError } from '@ozkit/errors';

/** The few yargs methods the conventions need, typed structurally so libs never import yargs. */
export interface ConventionalParser<P> {
  version(version: string): P;
  help(): P;
  strict(): P;
  exitProcess(enabled: boolean): P;
  fail(handler: (message: string | undefined, error: Error | undefined) => void): P;
}

/**
 * Every tool's parser: --version and --help, unknown flags refused, yargs never ends the process (that truncates
 * piped stdout), and a usage problem turned into OzkitError USAGE (exit 64) for runCommand to report.
 */
export function applyCliConventions<P extends ConventionalParser<P>>(parser: P, tool: string, version: string): P {
  return parser
    .version(version)
    .help()
    .strict()
    .exitProcess(false)
    .fail((message, error) => {
      throw new OzkitError('USAGE', message ?? error?.message ?? 'bad usage', { hint: `see ${tool} --help` });
    });
}
