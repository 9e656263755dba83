import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OzkitError } from '@ozkit/errors';
import { readBounded, type ContentType } from '@ozkit/build-document';

export interface ContentSource {
  /** For messages: `file /etc/motd`, `command 2 (setup)`. */
  label: string;
  type: ContentType;
  content: string;
}

export interface FetchOptions {
  /** Where http(s) contents are cached (content of a URL is fetched once). */
  cacheDir: string;
  offline?: boolean;
  signal?: AbortSignal;
  timeoutMs?: number;
}

/**
 * The bytes of a TDL file or command: raw text as is, base64 decoded, url fetched on the host
 * (file:// read, http(s) through the cache) so the guest needs no route to where it lives.
 */
export async function resolveContent(source: ContentSource, options: FetchOptions): Promise<Buffer> {
  switch (source.type) {
    case 'raw':
      return Buffer.from(source.content, 'utf8');
    case 'base64': {
      const text = source.content.replace(/\s+/g, '');
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 === 1) throw new OzkitError('BAD_TDL', `${source.label}: content is not valid base64`);
      return Buffer.from(text, 'base64');
    }
    case 'url':
      return fetchUrl(source.content.trim(), source.label, options);
  }
}

export async function fetchUrl(url: string, label: string, options: FetchOptions): Promise<Buffer> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new OzkitError('BAD_TDL', `${label}: not a URL: ${url}`);
  }
  if (parsed.protocol === 'file:') {
    try {
      // Capped and abortable: a FIFO nobody writes to or /dev/zero must not hold the build.
      return await readBounded(fileURLToPath(parsed), { maxBytes: MAX_CONTENT_BYTES, signal: options.signal, label: `${label}: ${url}`, tooLarge });
    } catch (error) {
      if (error instanceof OzkitError || options.signal?.aborted) throw error;
      throw new OzkitError('INPUT_MISSING', `${label}: cannot read ${url}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new OzkitError('BAD_TDL', `${label}: unsupported URL scheme ${parsed.protocol} (use http, https or file)`);
  const cached = join(options.cacheDir, createHash('sha256').update(url).digest('hex'));
  try {
    return await readFile(cached);
  } catch {
    // not cached yet
  }
  if (options.offline) throw new OzkitError('OFFLINE_MISS', `${label}: ${url} is not in the cache and offline mode is on`, { hint: 'run once without --offline' });
  let response: Response;
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 120_000);
  try {
    response = await fetch(url, { signal: options.signal ? AbortSignal.any([options.signal, timeout]) : timeout, redirect: 'follow' });
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason;
    throw new OzkitError(
      'NETWORK',
      `${label}: cannot fetch ${url}: ${(error as Error).cause ? String(((error as Error).cause as Error).message ?? (error as Error).cause) : (error as Error).message}`,
    );
  }
  if (!response.ok)
    throw new OzkitError('NETWORK', `${label}: cannot fetch ${url}: HTTP ${response.status} ${response.statusText}`, {
      exitCode: response.status === 404 ? 66 : 75,
    });
  const data = await cappedBody(response, `${label}: ${url}`);
  await mkdir(options.cacheDir, { recursive: true });
  const tmp = `${cached}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, cached);
  } catch {
    await rm(tmp, { force: true });
  }
  return data;
}

/** TDL file and command contents are held in memory on the way to the guest: more than this is not a file for a TDL. */
const MAX_CONTENT_BYTES = 256 * 1024 * 1024;

const tooLarge = (label: string, max: number) => new OzkitError('BAD_TDL', `${label}: larger than ${max} bytes; copy big files in a command instead`);

/** A response body, refused past MAX_CONTENT_BYTES (an endless or huge body must not fill memory). */
async function cappedBody(response: Response, label: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of (response.body ?? []) as AsyncIterable<Uint8Array>) {
    bytes += chunk.length;
    if (bytes > MAX_CONTENT_BYTES) {
      await response.body?.cancel().catch(() => undefined);
      throw tooLarge(label, MAX_CONTENT_BYTES);
    }
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}
