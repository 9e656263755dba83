import { spawn } from 'node:child_process';

/** How a program run ended, never thrown: callers word their own errors. */
export interface ProgramResult {
  /** Undefined when the program could not start or was killed by a signal. */
  exitCode?: number;
  failed: boolean;
  /** The errno code when it could not start (ENOENT: not installed). */
  code?: string;
  /** Without the final newline. */
  stdout: string;
  stderr: string;
}

/**
 * Runs a program to its end and collects its output (node:child_process: execa's import alone
 * took 120-220 ms here, more than a cached remaster's own work). Aborting `signal` kills it.
 */
export function runProgram(file: string, args: readonly string[], options: { signal?: AbortSignal; encoding?: BufferEncoding } = {}): Promise<ProgramResult> {
  const encoding = options.encoding ?? 'utf8';
  return new Promise((resolve) => {
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let settled = false;
    const text = (chunks: Buffer[]) =>
      Buffer.concat(chunks)
        .toString(encoding)
        .replace(/\r?\n$/, '');
    const finish = (result: Omit<ProgramResult, 'stdout' | 'stderr'>) => {
      if (settled) return;
      settled = true;
      resolve({ ...result, stdout: text(stdout), stderr: text(stderr) });
    };
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(options.signal ? { signal: options.signal } : {}) });
    child.stdout.on('data', (d: Buffer) => stdout.push(d));
    child.stderr.on('data', (d: Buffer) => stderr.push(d));
    child.on('error', (error: NodeJS.ErrnoException) => finish({ failed: true, ...(error.code ? { code: error.code } : {}) }));
    child.on('close', (exitCode) => finish({ failed: exitCode !== 0, ...(exitCode !== null ? { exitCode } : {}) }));
  });
}
