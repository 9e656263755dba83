import { createWriteStream } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { Client, FTPError } from 'basic-ftp';
import { OzkitError } from '@ozkit/errors';
import type { Logger } from '@ozkit/log';
import { MultiHash } from './checksum.js';
import { backOff, defaultRetryPolicy, hashExisting, readValidator, sizeOf, type DownloadOptions, type DownloadResult, type RetryPolicy } from './http-download.js';

/** A failure worth another attempt: connection refused or cut, idle timeout, an FTP 4xx reply. */
class TransientFtpError extends Error {}

/** What the partial file was downloaded from: a resume continues it only while the server's file is unchanged. */
interface FtpValidator {
  url: string;
  total?: number;
  modified?: string;
}

interface FtpTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  path: string;
}

function ftpTarget(url: string): FtpTarget {
  const u = new URL(url);
  if (u.protocol !== 'ftp:') throw new OzkitError('USAGE', `${url}: not an ftp:// URL`);
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : 21,
    // RFC 1738: no user means anonymous.
    user: u.username ? decodeURIComponent(u.username) : 'anonymous',
    password: u.password ? decodeURIComponent(u.password) : 'ozkit@',
    path: decodeURIComponent(u.pathname),
  };
}

/** Logs in; the caller closes the client. */
async function connect(url: string, policy: Pick<RetryPolicy, 'idleTimeoutMs'>, signal?: AbortSignal): Promise<{ client: Client; path: string }> {
  const target = ftpTarget(url);
  const client = new Client(policy.idleTimeoutMs);
  const onAbort = () => client.close();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await client.access({ host: target.host, port: target.port, user: target.user, password: target.password, secure: false });
    return { client, path: target.path };
  } catch (error) {
    client.close();
    throw classified(url, error);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/** FTP replies and socket errors in ozkit's terms: 4xx and network trouble are transient, 5xx are not. */
function classified(url: string, error: unknown): Error {
  if (error instanceof OzkitError || error instanceof TransientFtpError) return error;
  if (error instanceof FTPError) {
    const text = `${url}: FTP ${error.message.trim()}`;
    if (error.code >= 400 && error.code < 500) return new TransientFtpError(`FTP ${error.message.trim()}`);
    if (error.code === 550) return new OzkitError('INPUT_MISSING', text, { hint: 'check the URL (TDL <iso>/<url>, or --iso)' });
    if (error.code === 530)
      return new OzkitError('SERVICE_UNAVAILABLE', text, {
        hint: 'the server refuses the login: put user:password in the URL, or use one that allows anonymous access',
      });
    return new OzkitError('SERVICE_UNAVAILABLE', text);
  }
  const e = error as NodeJS.ErrnoException;
  if (e.code === 'ENOSPC') return new OzkitError('NO_SPACE', `disk full while downloading ${url}`);
  if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') return new TransientFtpError(`cannot resolve the host (${e.code})`);
  return new TransientFtpError(e.code ?? e.message);
}

/** The server's size and modification time of the file (either may be unknown). */
async function remoteFileFacts(client: Client, path: string): Promise<{ total?: number; modified?: string }> {
  const total = await client.size(path).catch((error: unknown) => {
    // 550 on SIZE: the file is not there (a server without SIZE answers 500/502).
    if (error instanceof FTPError && error.code === 550) throw error;
    return undefined;
  });
  const modified = await client.lastMod(path).then(
    (d) => d.toISOString(),
    () => undefined,
  );
  return { ...(total !== undefined ? { total } : {}), ...(modified ? { modified } : {}) };
}

/**
 * Downloads an ftp:// URL into `dest` with the rules http downloads follow: bytes hashed as they
 * arrive, an interrupted transfer resumed (REST) — but only while the server's file has the
 * size and modification time it had, else it starts over — and transient failures retried with
 * exponential backoff. A fatal failure removes the partial file.
 */
export async function downloadFtp(options: DownloadOptions): Promise<DownloadResult> {
  const policy = options.policy ?? defaultRetryPolicy;
  const sidecar = `${options.dest}.json`;
  let attempts = 0;
  let firstResume: number | undefined;
  for (;;) {
    attempts++;
    options.signal?.throwIfAborted();
    try {
      const result = await ftpTransfer(options, policy, sidecar, (offset) => (firstResume ??= offset));
      await rm(sidecar, { force: true });
      return { ...result, resumedFrom: firstResume ?? 0, attempts };
    } catch (thrown) {
      if (options.signal?.aborted) throw options.signal.reason;
      const error = classified(options.url, thrown);
      if (!(error instanceof TransientFtpError)) {
        if (!(error instanceof OzkitError && error.code === 'NO_SPACE')) {
          await rm(options.dest, { force: true });
          await rm(sidecar, { force: true });
        }
        throw error;
      }
      if (attempts > policy.retries)
        throw new OzkitError('NETWORK', `${options.url}: download failed after ${attempts} attempts: ${error.message}`, {
          hint: 'the partial download is kept; running again resumes it',
        });
      await backOff(options.url, attempts, policy, error.message, options.logger, options.signal);
    }
  }
}

async function ftpTransfer(
  options: DownloadOptions,
  policy: RetryPolicy,
  sidecar: string,
  onStart: (offset: number) => void,
): Promise<Omit<DownloadResult, 'resumedFrom' | 'attempts'>> {
  const { client, path } = await connect(options.url, policy, options.signal);
  const onAbort = () => client.close();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const remote = await remoteFileFacts(client, path);
    const saved = await readValidator<FtpValidator>(sidecar, options.url);
    let offset = saved ? await sizeOf(options.dest) : 0;
    const unchanged = saved !== undefined && saved.total === remote.total && saved.modified === remote.modified;
    if (offset > 0 && (!unchanged || (remote.total !== undefined && offset > remote.total))) {
      options.logger.info(`${options.url}: the file on the server changed since the partial download; downloading from the start`);
      offset = 0;
    }
    if (offset === 0) await writeFile(options.dest, '');
    else options.logger.info(`resuming ${options.url} at ${offset} bytes`);
    onStart(offset);
    const validator: FtpValidator = { url: options.url, ...remote };
    await writeFile(sidecar, JSON.stringify(validator));
    const hasher = new MultiHash(options.algorithms);
    if (offset > 0) await hashExisting(options.dest, offset, hasher);
    await options.onSize?.(remote.total, remote.total === undefined ? undefined : remote.total - offset);
    let current = offset;
    options.onProgress?.(current, remote.total);
    const sink = hashingFileSink(options.dest, (chunk) => {
      hasher.update(chunk);
      current += chunk.length;
      options.onProgress?.(current, remote.total);
    });
    try {
      await client.downloadTo(sink.stream, path, offset);
    } finally {
      // What arrived is on disk before the next attempt measures the file to resume from.
      await sink.closed;
    }
    if (sink.error) throw sink.error;
    if (remote.total !== undefined && current !== remote.total) throw new TransientFtpError(`transfer ended at ${current} of ${remote.total} bytes`);
    return { bytes: current, digests: hasher.digest() };
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    client.close();
  }
}

/** A Writable that appends to `path`, seeing every chunk first; `closed` settles once the file is flushed. */
function hashingFileSink(path: string, see: (chunk: Buffer) => void): { stream: Writable; closed: Promise<void>; error?: Error } {
  const file = createWriteStream(path, { flags: 'a', highWaterMark: 1 << 20 });
  const sink: { stream: Writable; closed: Promise<void>; error?: Error } = {
    stream: new Writable({
      highWaterMark: 1 << 20,
      write(chunk: Buffer, _encoding, callback) {
        see(chunk);
        if (file.write(chunk)) callback();
        else file.once('drain', () => callback());
      },
      final(callback) {
        file.end(() => callback());
      },
      destroy(error, callback) {
        file.end();
        callback(error);
      },
    }),
    closed: new Promise<void>((resolve) => file.once('close', () => resolve())),
  };
  file.on('error', (error) => {
    sink.error = error;
    sink.stream.destroy(error);
  });
  return sink;
}

/** Fetches a small text file (a SUMS file) over ftp, with the same retries. */
export async function fetchFtpText(url: string, policy: RetryPolicy, logger: Logger, signal?: AbortSignal, maxBytes = 8 * 1024 * 1024): Promise<string> {
  let attempts = 0;
  for (;;) {
    attempts++;
    try {
      const { client, path } = await connect(url, policy, signal);
      try {
        const chunks: Buffer[] = [];
        let size = 0;
        let tooLarge = false;
        const sink = new Writable({
          write(chunk: Buffer, _encoding, callback) {
            size += chunk.length;
            if (size > maxBytes) {
              tooLarge = true;
              return callback(new Error('too large'));
            }
            chunks.push(chunk);
            callback();
          },
        });
        await client.downloadTo(sink, path).catch((error: unknown) => {
          if (!tooLarge) throw error;
        });
        if (tooLarge) throw new OzkitError('BAD_MEDIA', `${url}: larger than ${maxBytes} bytes; not a text file this tool expects`);
        return Buffer.concat(chunks).toString('utf8');
      } finally {
        client.close();
      }
    } catch (thrown) {
      if (signal?.aborted) throw signal.reason;
      const error = classified(url, thrown);
      if (!(error instanceof TransientFtpError)) throw error;
      if (attempts > policy.retries) throw new OzkitError('NETWORK', `${url}: failed after ${attempts} attempts: ${error.message}`);
      await backOff(url, attempts, policy, error.message, logger, signal);
    }
  }
}
