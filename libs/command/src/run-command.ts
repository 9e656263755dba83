import { OzkitError, OzkitErrorList, ExitCode, formatLocated, toOzkitError, type ExitCodeValue } from '@ozkit/errors';
import { Logger, type LogFormat } from '@ozkit/log';

export interface CommandContext {
  tool: string;
  version: string;
  logger: Logger;
  /** Aborted on SIGINT/SIGTERM; its reason is an OzkitError (INTERRUPTED / TERMINATED). */
  signal: AbortSignal;
  verbosity: number;
}

export interface RunCommandOptions {
  tool: string;
  version: string;
  verbosity?: number;
  logFormat?: LogFormat | string;
  stderr?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
}

/**
 * Runs one tool invocation: sets up logging and signal handling, runs `body`, reports
 * errors as one line each (stack only with -v), and sets process.exitCode (never exit()).
 * `body` may return an exit code; thrown errors map through their code.
 */
export async function runCommand(options: RunCommandOptions, body: (ctx: CommandContext) => Promise<number | void>): Promise<ExitCodeValue | number> {
  const verbosity = options.verbosity ?? 0;
  const logger = new Logger({
    tool: options.tool,
    format: options.logFormat === 'json' ? 'json' : 'text',
    verbosity,
    stream: options.stderr,
  });
  const controller = new AbortController();
  let signalCount = 0;
  const onSignal = (name: 'SIGINT' | 'SIGTERM') => () => {
    signalCount++;
    if (signalCount > 1) {
      // A second signal means "now": skip any remaining clean-up waits.
      process.exitCode = name === 'SIGINT' ? ExitCode.interrupted : ExitCode.terminated;
      process.kill(process.pid, 'SIGKILL');
      return;
    }
    const reason = name === 'SIGINT' ? new OzkitError('INTERRUPTED', 'interrupted (SIGINT)') : new OzkitError('TERMINATED', 'terminated (SIGTERM)');
    controller.abort(reason);
  };
  const sigint = onSignal('SIGINT');
  const sigterm = onSignal('SIGTERM');
  process.on('SIGINT', sigint);
  process.on('SIGTERM', sigterm);
  let code: number;
  try {
    const result = await body({ tool: options.tool, version: options.version, logger, signal: controller.signal, verbosity });
    code = typeof result === 'number' ? result : ExitCode.ok;
  } catch (thrown) {
    // A stage interrupted by a signal may throw anything while unwinding; the signal is what counts.
    const error = controller.signal.aborted ? (controller.signal.reason as OzkitError) : toOzkitError(thrown);
    reportError(logger, error, verbosity, thrown);
    code = error.exitCode;
  } finally {
    process.off('SIGINT', sigint);
    process.off('SIGTERM', sigterm);
  }
  process.exitCode = code;
  return code;
}

export function reportError(logger: Logger, error: OzkitError, verbosity: number, original?: unknown): void {
  const list = error instanceof OzkitErrorList ? error.errors : [error];
  for (const e of list) {
    // A located error whose message does not yet say where gets `FILE:LINE:COL: ` in front.
    const text = e.location && !e.message.startsWith(e.location.file) ? formatLocated(e.message, e.location) : e.message;
    logger.error(text, logger.format === 'json' ? { code: e.code, ...(e.hint ? { hint: e.hint } : {}), ...(e.details ?? {}) } : undefined);
    if (e.hint && logger.format === 'text') logger.log('error', `hint: ${e.hint}`);
  }
  if (verbosity >= 1) {
    const stackSource = original instanceof Error ? original : error;
    const cause = (stackSource as Error).cause;
    if (stackSource.stack) logger.stream.write(stackSource.stack + '\n');
    if (cause instanceof Error && cause.stack) logger.stream.write('caused by: ' + cause.stack + '\n');
  }
}
