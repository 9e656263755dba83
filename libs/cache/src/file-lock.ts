import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { OzkitError } from '@ozkit/errors';

export interface LockOptions {
  /** Give up after this long (ms); undefined waits until the signal aborts. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Called once if the lock is held by someone else and we start waiting. */
  onWait?: () => void;
}

export interface FileLock {
  readonly path: string;
  release(): Promise<void>;
}

/**
 * An exclusive inter-process lock on `path`, held by a `flock(1)` child for as long as we
 * keep its stdin open. The kernel drops the lock when the holder dies, however it dies,
 * so there are no stale lock files to detect and no pid races; it works across processes
 * and between two locks taken in the same process.
 */
export async function acquireLock(path: string, options: LockOptions = {}): Promise<FileLock> {
  mkdirSync(dirname(path), { recursive: true });
  const first = await tryLock(path, true, options.signal);
  if (first) return first;
  options.onWait?.();
  const started = Date.now();
  const waitFor = options.timeoutMs;
  const lock = await tryLock(path, false, options.signal, waitFor === undefined ? undefined : Math.max(1, waitFor - (Date.now() - started)));
  if (lock) return lock;
  throw new OzkitError('TIMEOUT', `${path}: still locked by another build after ${Math.round((waitFor ?? 0) / 1000)} s`, {
    hint: 'another ozkit build is fetching the same media; wait for it or remove nothing — the lock frees itself when that build ends',
  });
}

/** One flock child: `nonBlocking` fails at once, else waits (up to timeoutMs). Resolves undefined when not acquired. */
function tryLock(path: string, nonBlocking: boolean, signal?: AbortSignal, timeoutMs?: number): Promise<FileLock | undefined> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const args = ['--exclusive'];
    if (nonBlocking) args.push('--nonblock');
    else if (timeoutMs !== undefined) args.push('--timeout', String(Math.max(0.001, timeoutMs / 1000)));
    // "locked" tells us the lock is held; `cat` then holds it until our end of its stdin closes.
    args.push('--conflict-exit-code', '100', path, 'sh', '-c', 'echo locked; exec cat >/dev/null');
    let child: ChildProcess;
    try {
      child = spawn('flock', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (error) {
      return reject(new OzkitError('PROGRAM_MISSING', `cannot run flock: ${(error as Error).message}`, { hint: 'install util-linux' }));
    }
    let settled = false;
    let stderr = '';
    const onAbort = () => {
      child.kill('SIGTERM');
      if (!settled) {
        settled = true;
        reject(signal!.reason);
      }
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      if (settled || !d.toString().includes('locked')) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      // Do not keep the event loop alive just for the holder.
      child.unref();
      (child.stdout as unknown as { unref?: () => void }).unref?.();
      (child.stderr as unknown as { unref?: () => void }).unref?.();
      (child.stdin as unknown as { unref?: () => void }).unref?.();
      let released = false;
      resolve({
        path,
        async release() {
          if (released) return;
          released = true;
          // Waiting for the holder to exit must keep the process alive until it has.
          child.ref();
          child.stdin!.end();
          await exited;
        },
      });
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      reject(
        error.code === 'ENOENT'
          ? new OzkitError('PROGRAM_MISSING', 'flock(1) is needed to lock the cache but was not found', { hint: 'install util-linux' })
          : new OzkitError('IO', `${path}: cannot lock: ${error.message}`),
      );
    });
    child.on('exit', (code) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      if (code === 100 || code === 1) resolve(undefined);
      else reject(new OzkitError('IO', `${path}: cannot lock: flock exited with ${code}: ${stderr.trim()}`));
    });
  });
}
