import { OzkitError } from '@ozkit/errors';
import { SshSession, type SshConnectOptions, type ConnectFailure } from './ssh-session.js';

export interface WaitForSshOptions extends SshConnectOptions {
  /** Give up after this long (the `[timeouts] boot` setting). */
  timeoutMs: number;
  /** First pause between attempts; doubles up to maxDelayMs. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Authentication failures in a row before giving up early (sshd is up and refuses the key). */
  maxAuthFailures?: number;
  /** Called after each failed attempt (for debug logs / progress). */
  onAttempt?: (attempt: number, error: OzkitError) => void;
  /**
   * Checked between attempts: a reason to stop waiting (the VM exited, a panic on the console).
   * Returning an error ends the wait with it at once.
   */
  stopIf?: () => OzkitError | undefined;
}

/**
 * Connects as soon as the guest's sshd answers, retrying with backoff until the deadline.
 * A changed host key ends the wait at once; so does an sshd that keeps refusing the key.
 */
export async function waitForSsh(options: WaitForSshOptions): Promise<SshSession> {
  const deadline = Date.now() + options.timeoutMs;
  let delay = options.initialDelayMs ?? 500;
  const maxDelay = options.maxDelayMs ?? 5000;
  const maxAuthFailures = options.maxAuthFailures ?? 3;
  let authFailures = 0;
  let attempt = 0;
  let last: OzkitError | undefined;
  for (;;) {
    if (options.signal?.aborted) throw options.signal.reason;
    const stop = options.stopIf?.();
    if (stop) throw stop;
    attempt++;
    const remaining = deadline - Date.now();
    try {
      return await SshSession.connect({
        ...options,
        handshakeTimeoutMs: Math.max(1000, Math.min(options.handshakeTimeoutMs ?? 20000, remaining)),
      });
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (!(error instanceof OzkitError)) throw error;
      last = error;
      const reason = error.details?.reason as ConnectFailure | undefined;
      if (reason === 'host-key') throw error;
      if (reason === 'auth') {
        authFailures++;
        if (authFailures >= maxAuthFailures) throw error;
      } else authFailures = 0;
      options.onAttempt?.(attempt, error);
    }
    const left = deadline - Date.now();
    if (left <= 0) break;
    await sleep(Math.min(delay, left), options.signal);
    delay = Math.min(delay * 2, maxDelay);
  }
  throw new OzkitError(
    'TIMEOUT',
    `no SSH login on ${options.host}:${options.port} within ${Math.round(options.timeoutMs / 1000)} s (${attempt} attempts; last: ${last?.message ?? 'none'})`,
    {
      hint: 'raise [timeouts] boot / --boot-timeout if the guest is just slow; otherwise see the console tail',
      details: { attempts: attempt, lastReason: last?.details?.reason },
    },
  );
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
