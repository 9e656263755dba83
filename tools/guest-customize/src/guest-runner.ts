import { createWriteStream, type WriteStream } from 'node:fs';
import { OzkitError } from '@ozkit/errors';
import type { Logger } from '@ozkit/log';
import { oneLine, type ExecResult, type SshSession } from '@ozkit/ssh';

export interface RunOptions {
  timeoutMs?: number;
  captureStdout?: boolean;
  /** Do not stream output to stderr (data commands such as the inventory). */
  quiet?: boolean;
  stdin?: Buffer | string;
  /** Exit statuses that count as success (default only 0). */
  okExitCodes?: number[];
}

/**
 * Runs remote commands for one customization: every command has a timeout, its output is
 * streamed to stderr line by line (`step: line`) and to the run's log file, and a failure
 * names the step, the exit status and the last output lines.
 */
export class GuestRunner {
  private readonly log: WriteStream | undefined;

  constructor(
    readonly session: SshSession,
    private readonly logger: Logger,
    private readonly options: { defaultTimeoutMs: number; logFile?: string; signal?: AbortSignal },
  ) {
    this.log = options.logFile ? createWriteStream(options.logFile, { flags: 'a', mode: 0o644 }) : undefined;
  }

  async run(step: string, command: string, options: RunOptions = {}): Promise<ExecResult> {
    const timeoutMs = options.timeoutMs ?? this.options.defaultTimeoutMs;
    this.logger.debug(`${step}: running ${oneLine(command)}`);
    this.log?.write(`\n=== ${new Date().toISOString()} ${step}\n$ ${command}\n`);
    this.logger.event('remote-command', { step, command: oneLine(command) });
    const lines = { stdout: '', stderr: '' };
    const flush = (which: 'stdout' | 'stderr', all: boolean) => {
      const parts = lines[which].split('\n');
      lines[which] = all ? '' : (parts.pop() ?? '');
      for (const line of all ? parts.filter((l, i) => l !== '' || i < parts.length - 1) : parts) this.logger.info(`${step}: ${line.replace(/\r$/, '')}`);
    };
    let result: ExecResult;
    try {
      result = await this.session.exec(command, {
        timeoutMs,
        captureStdout: options.captureStdout,
        stdin: options.stdin,
        signal: this.options.signal,
        tailLines: 15,
        onOutput: (text, which) => {
          this.log?.write(text);
          if (options.quiet) return;
          lines[which] += text;
          flush(which, false);
        },
      });
    } catch (error) {
      if (!options.quiet) {
        flush('stdout', true);
        flush('stderr', true);
      }
      if (error instanceof OzkitError && error.code === 'TIMEOUT') {
        const tail = (error.details?.tail as string[] | undefined) ?? [];
        this.log?.write(`\n=== ${step}: timed out after ${Math.round(timeoutMs / 1000)} s\n`);
        throw new OzkitError('TIMEOUT', `${step}: still running after ${Math.round(timeoutMs / 1000)} s, stopped${formatTail(tail)}`, {
          hint: 'raise --step-timeout if the step is just slow',
          details: { step, tail, timeoutMs },
        });
      }
      if (error instanceof OzkitError && error.code === 'NETWORK') {
        const tail = (error.details?.tail as string[] | undefined) ?? [];
        throw new OzkitError('NETWORK', `${step}: ${error.message}${formatTail(tail)}`, { hint: error.hint, details: { step, tail } });
      }
      throw error;
    }
    if (!options.quiet) {
      flush('stdout', true);
      flush('stderr', true);
    }
    this.log?.write(`\n=== ${step}: exit ${result.exitCode ?? result.signal} after ${result.seconds.toFixed(1)} s\n`);
    const ok = options.okExitCodes ?? [0];
    if (result.exitCode === null || !ok.includes(result.exitCode)) {
      const status = result.exitCode === null ? `was killed (${result.signal ?? 'no exit status'})` : `failed with exit status ${result.exitCode}`;
      throw new OzkitError('COMMAND_FAILED', `${step} ${status}${formatTail(result.tail)}`, {
        hint: this.options.logFile ? `the full output is in ${this.options.logFile}` : undefined,
        details: { step, exitCode: result.exitCode, tail: result.tail },
      });
    }
    return result;
  }

  async close(): Promise<void> {
    if (!this.log) return;
    await new Promise<void>((resolve) => this.log!.end(() => resolve()));
  }
}

function formatTail(tail: string[]): string {
  const lines = tail.filter((l) => l.trim() !== '').slice(-10);
  return lines.length ? `; last output:\n${lines.map((l) => `  ${l}`).join('\n')}` : ' (no output)';
}
