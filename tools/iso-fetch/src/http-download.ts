import { createReadStream, createWriteStream } from 'node:fs';
import { readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { finished } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { OzkitError } from '@ozkit/errors';
import type { Logger } from '@ozkit/log';
import { MultiHash, type HashAlgorithm } from './checksum.js';
import { proxiedOptions, proxyFor } from './http-proxy.js';

export interface RetryPolicy {
  /** Further attempts after the first one fails with a transient error. */
  retries: number;
  /** First wait; doubles each time, capped at 30 s. */
  delayMs: number;
  /** A transfer with no bytes for this long counts as failed (and is retried). */
  idleTimeoutMs: number;
  /**
   * curl's low-speed limit: a transfer averaging fewer than `lowSpeedBytes` bytes/s over
   * `lowSpeedMs` counts as failed (and is retried), so a server dripping bytes is cut off too.
   * 0 turns it off.
   */
  lowSpeedBytes?: number;
  lowSpeedMs?: number;
  /** The whole download, retries included, ends (TIMEOUT, 75) after this long; 0 or absent: no limit. */
  deadlineMs?: number;
}

export const defaultRetryPolicy: RetryPolicy = { retries: 5, delayMs: 2000, idleTimeoutMs: 60_000, lowSpeedBytes: 1024, lowSpeedMs: 60_000 };

export interface DownloadResult {
  bytes: number;
  digests: Record<HashAlgorithm, string>;
  /** Bytes kept from an earlier, interrupted transfer. */
  resumedFrom: number;
  attempts: number;
}

export interface DownloadOptions {
  url: string;
  /** The partial file: appended to on resume, kept on transient failure, removed on a fatal one. */
  dest: string;
  algorithms: HashAlgorithm[];
  policy?: RetryPolicy;
  logger: Logger;
  signal?: AbortSignal;
  /** Called once the total size is known (e.g. a free-space check); may throw to stop. */
  onSize?: (total: number | undefined, remaining: number | undefined) => Promise<void>;
  onProgress?: (current: number, total: number | undefined) => void;
  /** Internal: the deadline is already part of `signal`. */
  deadlineSet?: boolean;
}

/** A failure worth another attempt: connection reset, cut transfer, timeout, 5xx/429/408. */
class TransientError extends Error {}

interface Validator {
  url: string;
  etag?: string;
  lastModified?: string;
  total?: number;
}

/**
 * Downloads `url` into `dest`, hashing the bytes as they arrive (one pass: no second read
 * for the checksum). An interrupted transfer resumes with a Range request, guarded by
 * If-Range so a file that changed on the server restarts from zero instead of mixing
 * versions. Transient failures are retried with exponential backoff.
 */
export async function download(options: DownloadOptions): Promise<DownloadResult> {
  const policy = options.policy ?? defaultRetryPolicy;
  if (policy.deadlineMs && !options.deadlineSet) {
    // One signal for both: the caller's interrupt and the deadline.
    const deadline = new AbortController();
    const timer = setTimeout(
      () =>
        deadline.abort(
          new OzkitError('TIMEOUT', `${options.url}: not downloaded within the deadline of ${Math.round(policy.deadlineMs! / 1000)} s`, {
            hint: 'raise --deadline (the partial download is kept; running again resumes it)',
          }),
        ),
      policy.deadlineMs,
    );
    try {
      return await download({ ...options, deadlineSet: true, signal: options.signal ? AbortSignal.any([options.signal, deadline.signal]) : deadline.signal });
    } finally {
      clearTimeout(timer);
    }
  }
  const sidecar = `${options.dest}.json`;
  let attempts = 0;
  let firstResume: number | undefined;
  for (;;) {
    attempts++;
    options.signal?.throwIfAborted();
    try {
      const saved = await readValidator(sidecar, options.url);
      let offset = saved ? await sizeOf(options.dest) : 0;
      if (!saved) await rm(options.dest, { force: true });
      if (offset > 0 && saved?.total !== undefined && offset > saved.total) offset = 0;
      const hasher = new MultiHash(options.algorithms);
      if (offset > 0) await hashExisting(options.dest, offset, hasher);
      firstResume ??= offset;
      const result = await transfer(options, policy, offset, saved, hasher, sidecar);
      await rm(sidecar, { force: true });
      return { ...result, resumedFrom: firstResume, attempts };
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (!(error instanceof TransientError)) {
        if (error instanceof OzkitError && error.code !== 'NO_SPACE') {
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

/** Waits before retry `attempts + 1` (exponential, at most 30 s), saying so; ends at once on abort. */
export async function backOff(url: string, attempts: number, policy: RetryPolicy, reason: string, logger: Logger, signal?: AbortSignal): Promise<void> {
  const wait = Math.min(30_000, policy.delayMs * 2 ** (attempts - 1));
  logger.warn(`${url}: ${reason}; retrying in ${(wait / 1000).toFixed(1)} s (attempt ${attempts + 1} of ${policy.retries + 1})`);
  logger.event('retry', { url, attempt: attempts + 1, waitMs: wait, reason });
  await sleep(wait, undefined, { signal }).catch(() => {
    throw signal?.reason ?? new OzkitError('INTERRUPTED', 'interrupted');
  });
}

async function transfer(
  options: DownloadOptions,
  policy: RetryPolicy,
  offset: number,
  saved: Validator | undefined,
  hasher: MultiHash,
  sidecar: string,
): Promise<Omit<DownloadResult, 'resumedFrom' | 'attempts'>> {
  const headers: Record<string, string> = { 'user-agent': 'ozkit-iso-fetch', 'accept-encoding': 'identity' };
  if (offset > 0) {
    headers.range = `bytes=${offset}-`;
    const validator = saved?.etag && !saved.etag.startsWith('W/') ? saved.etag : saved?.lastModified;
    if (validator) headers['if-range'] = validator;
  }
  const res = await request(options.url, headers, policy, options.signal);
  // Take the body from the first moment: data left unread in the response is discarded if
  // the connection breaks while we are still setting up (and a resume would lose it).
  const early: Buffer[] = [];
  let earlyEnd: { error?: Error } | undefined;
  let earlyBytes = 0;
  let pausedEarly = false;
  const collect = (chunk: Buffer) => {
    early.push(chunk);
    earlyBytes += chunk.length;
    // Bounded: beyond this, let the socket hold the rest until the file is ready.
    if (earlyBytes > 16 * 1024 * 1024 && !pausedEarly) {
      pausedEarly = true;
      res.pause();
    }
  };
  res.on('data', collect);
  finished(res, (error) => {
    earlyEnd = { error: error ?? (res.complete ? undefined : new Error('connection closed')) };
  });
  let total: number | undefined;
  let start = offset;
  const length = res.headers['content-length'] !== undefined ? Number(res.headers['content-length']) : undefined;
  if (res.statusCode === 206 && offset > 0) {
    const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(String(res.headers['content-range'] ?? ''));
    if (!m || Number(m[1]) !== offset) {
      res.destroy();
      throw new TransientError(`server answered the resume request with an unexpected range (${res.headers['content-range'] ?? 'none'}); starting over`);
    }
    total = m[3] === '*' ? undefined : Number(m[3]);
    options.logger.info(`resuming ${options.url} at ${offset} bytes`);
  } else if (res.statusCode === 200) {
    if (offset > 0) {
      options.logger.info(`${options.url}: the server does not resume (or the file changed); downloading from the start`);
      start = 0;
      hasher = new MultiHash(options.algorithms);
    }
    total = length;
  } else if (res.statusCode === 416 && offset > 0) {
    res.resume();
    await rm(sidecar, { force: true });
    throw new TransientError('server refused the resume range; starting over');
  } else {
    res.resume();
    throw statusError(options.url, res.statusCode ?? 0, res.statusMessage);
  }
  const validator: Validator = {
    url: options.url,
    etag: header(res, 'etag'),
    lastModified: header(res, 'last-modified'),
    total,
  };
  await writeFile(sidecar, JSON.stringify(validator));
  if (start === 0) await truncateOrCreate(options.dest);
  await options.onSize?.(total, total === undefined ? undefined : total - start);
  let current = start;
  options.onProgress?.(current, total);
  // Bytes already received are flushed to the file even when the transfer breaks, so a
  // resume starts where the data really ends (pipeline() would discard buffered writes).
  const failure = await new Promise<Error | undefined>((resolve) => {
    const out = createWriteStream(options.dest, { flags: 'a', highWaterMark: 1 << 20 });
    let broken: Error | undefined;
    let writeError: Error | undefined;
    const stop = (error: Error) => {
      if (broken || writeError) return;
      broken = error;
      res.destroy();
      out.end();
    };
    const onAbort = () => stop(options.signal!.reason as Error);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    let waitingDrain = false;
    // The low-speed window: bytes since the window began, checked when it closes.
    const lowBytes = policy.lowSpeedBytes ?? 0;
    const lowMs = policy.lowSpeedMs ?? 0;
    let windowBytes = 0;
    const lowSpeed =
      lowBytes > 0 && lowMs > 0
        ? setInterval(() => {
            if (!waitingDrain && windowBytes < (lowBytes * lowMs) / 1000)
              stop(new TransientError(`slower than ${lowBytes} bytes/s for ${Math.round(lowMs / 1000)} s (${windowBytes} bytes)`));
            windowBytes = 0;
          }, lowMs)
        : undefined;
    const endLowSpeed = () => clearInterval(lowSpeed);
    const take = (chunk: Buffer) => {
      if (broken || writeError) return;
      windowBytes += chunk.length;
      hasher.update(chunk);
      current += chunk.length;
      options.onProgress?.(current, total);
      if (!out.write(chunk) && !waitingDrain) {
        waitingDrain = true;
        res.pause();
        out.once('drain', () => {
          waitingDrain = false;
          res.resume();
        });
      }
    };
    res.off('data', collect);
    for (const chunk of early.splice(0)) take(chunk);
    res.on('data', take);
    if (pausedEarly && !waitingDrain) res.resume();
    const settle = (end: { error?: Error }) => {
      if (end.error) stop(end.error);
      else if (!broken) out.end();
    };
    if (earlyEnd) settle(earlyEnd);
    else finished(res, (error) => settle({ error: error ?? (res.complete ? undefined : new Error('connection closed')) }));
    out.on('error', (error) => {
      endLowSpeed();
      writeError = error;
      res.destroy();
      options.signal?.removeEventListener('abort', onAbort);
      resolve(error);
    });
    out.on('finish', () => {
      endLowSpeed();
      options.signal?.removeEventListener('abort', onAbort);
      resolve(broken);
    });
  });
  if (failure) {
    if (options.signal?.aborted) throw options.signal.reason;
    const e = failure as NodeJS.ErrnoException;
    if (e.code === 'ENOSPC') throw new OzkitError('NO_SPACE', `${options.dest}: disk full while downloading ${options.url}`);
    if (e.code && ['EACCES', 'EROFS', 'EISDIR', 'EIO'].includes(e.code)) throw new OzkitError('IO', `${options.dest}: ${e.message}`);
    throw new TransientError(`transfer interrupted at ${current} bytes (${e.code ?? e.message})`);
  }
  if (total !== undefined && current !== total) throw new TransientError(`transfer ended at ${current} of ${total} bytes`);
  return { bytes: current, digests: hasher.digest() };
}

function header(res: http.IncomingMessage, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function statusError(url: string, status: number, message?: string): Error {
  const text = `${url}: HTTP ${status}${message ? ` ${message}` : ''}`;
  if (status === 408 || status === 429 || status >= 500) return new TransientError(`HTTP ${status}${message ? ` ${message}` : ''}`);
  if (status === 404 || status === 410) return new OzkitError('INPUT_MISSING', text, { hint: 'check the URL (TDL <iso>/<url>, or --iso)' });
  if (status === 401 || status === 403) return new OzkitError('SERVICE_UNAVAILABLE', text, { hint: 'the server refuses access to this URL' });
  return new OzkitError('SERVICE_UNAVAILABLE', text);
}

/** GET with redirects followed; resolves with the response of the final URL. */
export function request(
  url: string,
  headers: Record<string, string>,
  policy: Pick<RetryPolicy, 'idleTimeoutMs'>,
  signal?: AbortSignal,
  redirects = 10,
  method: 'GET' | 'HEAD' = 'GET',
): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return reject(new OzkitError('USAGE', `${url}: not a valid URL`));
    }
    const lib = parsed.protocol === 'https:' ? https : parsed.protocol === 'http:' ? http : undefined;
    if (!lib) return reject(new OzkitError('USAGE', `${url}: unsupported URL scheme ${parsed.protocol}`));
    const base = { method, headers, signal, highWaterMark: 1 << 20 } as http.RequestOptions;
    const proxy = proxyFor(parsed);
    // Through a proxy, plain http and the CONNECT tunnel both start as an http request.
    const req = (proxy ? (parsed.protocol === 'https:' ? https : http) : lib).request(
      ...((proxy ? [proxiedOptions(parsed, proxy, base)] : [parsed, base]) as [http.RequestOptions]),
      (res: http.IncomingMessage) => {
        const status = res.statusCode ?? 0;
        if ([301, 302, 303, 307, 308].includes(status) && res.headers.location) {
          res.resume();
          if (redirects <= 0) return reject(new OzkitError('SERVICE_UNAVAILABLE', `${url}: too many redirects`));
          const target = new URL(res.headers.location, parsed);
          // A server may send us only to another http(s) address, never to a local file.
          if (target.protocol !== 'http:' && target.protocol !== 'https:')
            return reject(
              new OzkitError('SERVICE_UNAVAILABLE', `${url}: redirects to ${target.protocol} (${target.toString().slice(0, 80)}), which is not followed`, {
                hint: 'only http:// and https:// redirects are followed',
              }),
            );
          const next = target.toString();
          request(next, headers, policy, signal, redirects - 1, method).then(resolve, reject);
          return;
        }
        // The idle timer stays armed on the socket while the body streams.
        res.on('error', () => undefined);
        resolve(res);
      },
    );
    req.setTimeout(policy.idleTimeoutMs, () => req.destroy(new TransientError(`no data for ${Math.round(policy.idleTimeoutMs / 1000)} s`)));
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (signal?.aborted) return reject(signal.reason);
      if (error instanceof TransientError) return reject(error);
      if (error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN') return reject(new TransientError(`cannot resolve ${parsed.hostname} (${error.code})`));
      reject(new TransientError(`${error.code ?? error.message}`));
    });
    req.end();
  });
}

/** Fetches a small text file (SUMS, .treeinfo, txt.cfg) over http(s), with the same retries. */
export async function fetchText(url: string, policy: RetryPolicy, logger: Logger, signal?: AbortSignal, maxBytes = 8 * 1024 * 1024): Promise<string> {
  let attempts = 0;
  for (;;) {
    attempts++;
    try {
      const res = await request(url, { 'user-agent': 'ozkit-iso-fetch', 'accept-encoding': 'identity' }, policy, signal);
      if (res.statusCode !== 200) {
        res.resume();
        throw statusError(url, res.statusCode ?? 0, res.statusMessage);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res) {
        size += (chunk as Buffer).length;
        if (size > maxBytes) {
          res.destroy();
          throw new OzkitError('BAD_MEDIA', `${url}: larger than ${maxBytes} bytes; not a text file this tool expects`);
        }
        chunks.push(chunk as Buffer);
      }
      if (!res.complete) throw new TransientError('transfer interrupted');
      return Buffer.concat(chunks).toString('utf8');
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      const transient = error instanceof TransientError || (error as NodeJS.ErrnoException).code === 'ECONNRESET';
      if (!transient) throw error;
      if (attempts > policy.retries) throw new OzkitError('NETWORK', `${url}: failed after ${attempts} attempts: ${(error as Error).message}`);
      const wait = Math.min(30_000, policy.delayMs * 2 ** (attempts - 1));
      logger.warn(`${url}: ${(error as Error).message}; retrying in ${(wait / 1000).toFixed(1)} s`);
      await sleep(wait, undefined, { signal });
    }
  }
}

/** Does `url` answer 200 to a HEAD (falling back to a GET that is abandoned at once)? */
export async function urlExists(url: string, policy: RetryPolicy, signal?: AbortSignal): Promise<boolean> {
  try {
    const res = await request(url, { 'user-agent': 'ozkit-iso-fetch' }, policy, signal, 10, 'HEAD');
    res.resume();
    if (res.statusCode === 200) return true;
    if (res.statusCode !== 405 && res.statusCode !== 501) return false;
    const get = await request(url, { 'user-agent': 'ozkit-iso-fetch' }, policy, signal);
    get.destroy();
    return get.statusCode === 200;
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    return false;
  }
}

/** The sidecar of a partial download, if it is about `url` (http's and ftp's validators alike). */
export async function readValidator<V extends { url: string } = Validator>(path: string, url: string): Promise<V | undefined> {
  try {
    const v = JSON.parse(await readFile(path, 'utf8')) as V;
    return v.url === url ? v : undefined;
  } catch {
    return undefined;
  }
}

export async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

async function truncateOrCreate(path: string): Promise<void> {
  try {
    await truncate(path, 0);
  } catch {
    await writeFile(path, '');
  }
}

export async function hashExisting(path: string, bytes: number, hasher: MultiHash): Promise<void> {
  for await (const chunk of createReadStream(path, { start: 0, end: bytes - 1, highWaterMark: 1 << 20 })) hasher.update(chunk as Buffer);
}

/** Hashes a local file in one streaming pass. */
export async function hashFile(
  path: string,
  algorithms: HashAlgorithm[],
  onProgress?: (current: number) => void,
  signal?: AbortSignal,
): Promise<{ bytes: number; digests: Record<HashAlgorithm, string> }> {
  const hasher = new MultiHash(algorithms);
  let bytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20, signal })) {
    hasher.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
    onProgress?.(bytes);
  }
  return { bytes, digests: hasher.digest() };
}
