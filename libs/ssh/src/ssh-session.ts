import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import ssh2 from 'ssh2';
import type { ClientChannel, SFTPWrapper } from 'ssh2';
import { OzkitError } from '@ozkit/errors';
import { hostKeyOf, type HostKey, HostKeyPin } from './host-key.js';
import { OutputTail } from './output-tail.js';

/** Why a connection attempt failed: decides whether waiting for SSH keeps trying. */
export type ConnectFailure = 'refused' | 'closed' | 'timeout' | 'auth' | 'host-key' | 'network';

export interface SshConnectOptions {
  host: string;
  port: number;
  username?: string;
  /** Private key contents (see loadPrivateKey). */
  privateKey: Buffer;
  /** Log in with this password instead of the key (image-verify proves a sealed image refuses it). */
  password?: string;
  /** Shared by every connection of one build, so a changed host key is caught. */
  hostKeys: HostKeyPin;
  /** Limit for the TCP connect + SSH handshake + authentication. */
  handshakeTimeoutMs?: number;
  signal?: AbortSignal;
}

export interface ExecOptions {
  /** The command is ended (signal KILL, channel closed) after this long and a TIMEOUT error thrown. */
  timeoutMs: number;
  /** Streamed output, decoded as UTF-8. */
  onOutput?: (text: string, stream: 'stdout' | 'stderr') => void;
  /** Keep the whole stdout in the result (for commands whose output is data). */
  captureStdout?: boolean;
  /** Bytes for the command's stdin (closed afterwards; without it stdin is closed at once). */
  stdin?: Buffer | string;
  /** How many last lines of combined output the result keeps. */
  tailLines?: number;
  signal?: AbortSignal;
}

export interface ExecResult {
  /** null when the command ended without an exit status (killed by a signal, connection lost). */
  exitCode: number | null;
  signal?: string;
  stdout: string;
  /** Last lines of stdout+stderr, interleaved as they arrived. */
  tail: string[];
  seconds: number;
}

export interface UploadOptions {
  /** File mode of the result (default 0644); applied explicitly, so the remote umask does not matter. */
  mode?: number;
  signal?: AbortSignal;
}

const MAX_CAPTURE = 64 * 1024 * 1024;

/** One authenticated SSH connection to a guest: commands with timeouts, atomic SFTP uploads. */
export class SshSession {
  private sftpSession: Promise<SFTPWrapper> | undefined;
  private closed = false;

  private constructor(
    private readonly client: ssh2.Client,
    readonly hostKey: HostKey,
    readonly target: { host: string; port: number; username: string },
  ) {
    client.on('close', () => {
      this.closed = true;
    });
    // Errors after 'ready' surface through the operation that is running; never crash the process.
    client.on('error', () => undefined);
  }

  /** One connection attempt. Errors carry `details.reason` (a ConnectFailure). */
  static connect(options: SshConnectOptions): Promise<SshSession> {
    const username = options.username ?? 'root';
    const where = `${username}@${options.host}:${options.port}`;
    return new Promise<SshSession>((resolve, reject) => {
      const client = new ssh2.Client();
      let offered: HostKey | undefined;
      let hostKeyError: OzkitError | undefined;
      let settled = false;
      const finish = (error: OzkitError | undefined, session?: SshSession) => {
        if (settled) return;
        settled = true;
        options.signal?.removeEventListener('abort', onAbort);
        if (error) {
          client.destroy();
          reject(error);
        } else resolve(session!);
      };
      const failure = (reason: ConnectFailure, message: string, hint?: string, cause?: unknown) =>
        new OzkitError(reason === 'auth' ? 'BAD_IMAGE' : reason === 'timeout' ? 'TIMEOUT' : 'NETWORK', `${where}: ${message}`, {
          hint,
          cause,
          details: { reason },
        });
      const onAbort = () => finish(options.signal!.reason as OzkitError);
      if (options.signal?.aborted) return onAbort();
      options.signal?.addEventListener('abort', onAbort, { once: true });

      client.on('ready', () => finish(undefined, new SshSession(client, offered!, { host: options.host, port: options.port, username })));
      client.on('error', (error: Error & { level?: string; code?: string }) => {
        if (hostKeyError) {
          const e = hostKeyError;
          return finish(new OzkitError(e.code, `${where}: ${e.message}`, { hint: e.hint, details: { ...e.details, reason: 'host-key' } }));
        }
        if (error.level === 'client-authentication' && options.password !== undefined)
          return finish(failure('auth', `the server refused the password (${error.message})`, undefined, error));
        if (error.level === 'client-authentication')
          return finish(
            failure(
              'auth',
              `the server refused the build key (${error.message})`,
              "the image does not accept this key in root's authorized_keys; was it installed with a different answer file or key?",
              error,
            ),
          );
        if (error.level === 'client-timeout')
          return finish(failure('timeout', `no SSH handshake within ${options.handshakeTimeoutMs ?? 20000} ms`, undefined, error));
        if (error.code === 'ECONNREFUSED') return finish(failure('refused', 'connection refused', undefined, error));
        if (error.code === 'ECONNRESET') return finish(failure('closed', 'connection reset', undefined, error));
        return finish(failure('network', error.message, undefined, error));
      });
      client.on('close', () => finish(failure('closed', 'connection closed before the SSH handshake finished')));
      client.connect({
        host: options.host,
        port: options.port,
        username,
        ...(options.password !== undefined ? { password: options.password, tryKeyboard: false } : { privateKey: options.privateKey }),
        readyTimeout: options.handshakeTimeoutMs ?? 20000,
        keepaliveInterval: 15000,
        keepaliveCountMax: 4,
        hostVerifier: (blob: Buffer) => {
          offered = hostKeyOf(blob);
          hostKeyError = options.hostKeys.check(offered);
          return hostKeyError === undefined;
        },
      });
      // Each exec is a few small request/reply packets; with Nagle on, every one of them waits for a delayed ACK.
      client.setNoDelay(true);
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Runs `command` through the remote shell; resolves with its exit status (non-zero is not an error here). */
  exec(command: string, options: ExecOptions): Promise<ExecResult> {
    const started = Date.now();
    const tail = new OutputTail(options.tailLines ?? 20);
    let stdout = '';
    let captured = 0;
    return new Promise<ExecResult>((resolve, reject) => {
      if (options.signal?.aborted) return reject(options.signal.reason);
      if (this.closed) return reject(this.lostError(command, tail));
      let channel: ClientChannel | undefined;
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      let exitCode: number | null = null;
      let exitSignal: string | undefined;
      let pgid: number | undefined;
      const onClientClose = () => done(this.lostError(command, tail));
      const onAbort = () => done(options.signal!.reason as Error);
      const done = (error?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        this.client.off('close', onClientClose);
        if (error) {
          // Stop the remote processes rather than leave them running behind our back (see killableCommand).
          if (pgid !== undefined && !this.closed) this.killGroup(pgid);
          channel?.close();
          reject(error);
          return;
        }
        resolve({ exitCode, ...(exitSignal ? { signal: exitSignal } : {}), stdout, tail: tail.tail(), seconds: (Date.now() - started) / 1000 });
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.client.on('close', onClientClose);
      timer = setTimeout(
        () =>
          done(
            new OzkitError('TIMEOUT', `command still running after ${Math.round(options.timeoutMs / 1000)} s: ${oneLine(command)}`, {
              details: { tail: tail.tail(), timeoutMs: options.timeoutMs },
            }),
          ),
        options.timeoutMs,
      );
      this.client.exec(killableCommand(command), (error, ch) => {
        if (error) return done(new OzkitError('NETWORK', `cannot start remote command: ${error.message}`, { cause: error }));
        if (settled) return ch.close();
        channel = ch;
        const decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
        let marker: string | undefined = '';
        const onData = (which: 'stdout' | 'stderr') => (data: Buffer) => {
          let text = decoders[which].write(data);
          if (which === 'stderr' && marker !== undefined) {
            // The wrapper's first stderr line is the process group; it is not the command's output.
            marker += text;
            const newline = marker.indexOf('\n');
            if (newline < 0) return;
            const line = marker.slice(0, newline);
            if (line.startsWith(PGID_MARKER)) pgid = Number(line.slice(PGID_MARKER.length)) || undefined;
            text = line.startsWith(PGID_MARKER) ? marker.slice(newline + 1) : marker;
            marker = undefined;
          }
          if (text === '') return;
          tail.push(text);
          if (which === 'stdout' && options.captureStdout) {
            captured += text.length;
            if (captured > MAX_CAPTURE) return done(new OzkitError('BAD_DOCUMENT', `output of ${oneLine(command)} is larger than ${MAX_CAPTURE} bytes`));
            stdout += text;
          }
          options.onOutput?.(text, which);
        };
        ch.on('data', onData('stdout'));
        ch.stderr.on('data', onData('stderr'));
        ch.on('exit', (code: number | null, signalName?: string) => {
          if (typeof code === 'number') exitCode = code;
          if (signalName) exitSignal = signalName;
        });
        ch.on('close', () => done());
        if (options.stdin !== undefined) ch.end(options.stdin);
        else ch.end();
      });
    });
  }

  /** Writes `data` to `remotePath` atomically: parents made, temp file in the same directory, mode set, renamed over. */
  async upload(data: Buffer | string, remotePath: string, options: UploadOptions = {}): Promise<void> {
    if (!posix.isAbsolute(remotePath)) throw new OzkitError('BAD_DOCUMENT', `remote path must be absolute: ${remotePath}`);
    if (options.signal?.aborted) throw options.signal.reason;
    const sftp = await this.sftp();
    const dir = posix.dirname(remotePath);
    const tmp = posix.join(dir, `.${posix.basename(remotePath)}.ozkit-${randomBytes(6).toString('hex')}`);
    const mode = options.mode ?? 0o644;
    await this.mkdirp(sftp, dir);
    try {
      await writeInFlight(sftp, tmp, typeof data === 'string' ? Buffer.from(data) : data, mode, options.signal);
      await this.renameOver(sftp, tmp, remotePath);
    } catch (error) {
      await call<void>((cb) => sftp.unlink(tmp, cb), 'unlink').catch(() => undefined);
      throw error;
    }
  }

  /** Ends the connection (idempotent). */
  async close(): Promise<void> {
    if (this.closed) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.client.destroy();
        resolve();
      }, 3000);
      this.client.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.client.end();
    });
    this.closed = true;
  }

  private sftp(): Promise<SFTPWrapper> {
    this.sftpSession ??= new Promise<SFTPWrapper>((resolve, reject) => {
      this.client.sftp((error, sftp) => {
        if (error) {
          this.sftpSession = undefined;
          reject(
            new OzkitError('SERVICE_UNAVAILABLE', `SFTP not available on the guest: ${error.message}`, {
              hint: "the guest's sshd needs the sftp subsystem (Subsystem sftp … in sshd_config)",
              cause: error,
            }),
          );
        } else resolve(sftp);
      });
    });
    return this.sftpSession;
  }

  private async mkdirp(sftp: SFTPWrapper, dir: string): Promise<void> {
    const parts = dir.split('/').filter(Boolean);
    let current = '';
    for (const part of parts) {
      current += '/' + part;
      const exists = await call<ssh2.Stats>((cb) => sftp.stat(current, cb), 'stat').then(
        (s) => s,
        () => undefined,
      );
      if (exists) {
        if (!exists.isDirectory()) throw new OzkitError('BAD_DOCUMENT', `cannot create ${dir} on the guest: ${current} exists and is not a directory`);
        continue;
      }
      await call<void>((cb) => sftp.mkdir(current, { mode: 0o755 }, cb), `mkdir ${current}`).catch(async (error) => {
        // Someone else may have made it meanwhile; only a still-missing directory is a failure.
        const now = await call<ssh2.Stats>((cb) => sftp.stat(current, cb), 'stat').catch(() => undefined);
        if (!now?.isDirectory()) throw error;
      });
    }
  }

  private async renameOver(sftp: SFTPWrapper, from: string, to: string): Promise<void> {
    try {
      await call<void>((cb) => sftp.ext_openssh_rename(from, to, cb), `rename ${from} → ${to}`);
      return;
    } catch (error) {
      if (!/not support/i.test((error as Error).message)) throw error;
    }
    // Plain SFTP rename refuses to replace; without the OpenSSH extension remove first.
    await call<void>((cb) => sftp.unlink(to, cb), 'unlink').catch(() => undefined);
    await call<void>((cb) => sftp.rename(from, to, cb), `rename ${from} → ${to}`);
  }

  private killGroup(pgid: number): void {
    try {
      this.client.exec(`kill -KILL -- -${pgid}`, (error, ch) => {
        if (error) return;
        ch.on('data', () => undefined);
        ch.stderr.on('data', () => undefined);
        ch.end();
      });
    } catch {
      /* connection already gone: nothing left to do */
    }
  }

  private lostError(command: string, tail: OutputTail): OzkitError {
    return new OzkitError('NETWORK', `SSH connection to ${this.target.host}:${this.target.port} lost while running: ${oneLine(command)}`, {
      hint: 'the guest rebooted, powered off or its sshd stopped',
      details: { tail: tail.tail() },
    });
  }
}

/**
 * Bytes of write requests kept in flight: one request at a time waits a round trip per chunk (ssh2's
 * writeFile); more than OpenSSH's channel window (2 MiB) only queues inside ssh2, and 32 × 256 KiB
 * measured ~1.7× slower than 8 × 256 KiB for 64 MiB.
 */
const BYTES_IN_FLIGHT = 2 * 1024 * 1024;

/**
 * Writes `data` to a new file `path` with several SFTP write requests outstanding, as ssh2's fastPut
 * does for local files; the mode is set on the open handle before close, so the remote umask does not matter.
 */
async function writeInFlight(sftp: SFTPWrapper, path: string, data: Buffer, mode: number, signal?: AbortSignal): Promise<void> {
  const handle = await call<Buffer>((cb) => sftp.open(path, 'w', { mode }, cb), `open ${path}`);
  // ssh2 splits a write larger than the server's packet limit into sequential requests, so chunks stay at that limit.
  const chunk = Math.max(4096, (sftp as unknown as { _maxWriteLen?: number })._maxWriteLen ?? 32768);
  let failure: unknown;
  try {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (failure === undefined && next < data.length) {
        if (signal?.aborted) throw signal.reason;
        const offset = next;
        const length = Math.min(chunk, data.length - offset);
        next += length;
        await call<void>((cb) => sftp.write(handle, data, offset, length, offset, cb), `write ${path}`);
      }
    };
    await Promise.all(
      Array.from({ length: Math.min(Math.max(1, Math.floor(BYTES_IN_FLIGHT / chunk)), Math.ceil(data.length / chunk)) }, () =>
        worker().catch((error) => {
          failure ??= error;
        }),
      ),
    );
    if (failure === undefined) await call<void>((cb) => sftp.fchmod(handle, mode, cb), `chmod ${path}`);
  } finally {
    const closed = call<void>((cb) => sftp.close(handle, cb), `close ${path}`);
    if (failure === undefined) await closed;
    else await closed.catch(() => undefined);
  }
  if (failure !== undefined) throw failure;
}

function call<T>(start: (cb: (error: Error | null | undefined, value?: T) => void) => void, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    try {
      start((error, value) => {
        if (error) reject(new OzkitError('IO', `SFTP ${what}: ${error.message}`, { cause: error }));
        else resolve(value as T);
      });
    } catch (error) {
      reject(new OzkitError('IO', `SFTP ${what}: ${(error as Error).message}`, { cause: error }));
    }
  });
}

/**
 * sshd refuses channel signals for root logins ("session signalling requires privilege
 * separation"), so a timed-out command would keep running. The wrapper announces the session's
 * process group (sshd makes each session its own group) as the first stderr line; a timeout
 * then kills that group through a second channel. `exec` keeps pid, group and stdin unchanged.
 */
export function killableCommand(command: string): string {
  const quoted = "'" + command.replace(/'/g, `'\\''`) + "'";
  return `echo ${PGID_MARKER}$$ >&2; eval ${quoted}`;
}

const PGID_MARKER = 'ozkit-pgid=';

/** First line of a command, shortened, for messages. */
export function oneLine(command: string): string {
  const first = command.split('\n')[0];
  const short = first.length > 100 ? first.slice(0, 97) + '...' : first;
  return command.includes('\n') ? short + ' …' : short;
}
