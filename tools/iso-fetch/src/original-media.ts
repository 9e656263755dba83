import { readFile, rm, stat } from 'node:fs/promises';
import { OzkitError } from '@ozkit/errors';
import type { ChecksumKind, Media } from '@ozkit/build-document';
import { ContentStore, ensureFreeSpace } from '@ozkit/cache';
import { ProgressBar, redactUrls, type Logger } from '@ozkit/log';
import { findInSums, verifyDigest, type ChecksumSpec, type ExpectedChecksum, type HashAlgorithm } from './checksum.js';
import { download, fetchText, hashFile, type RetryPolicy } from './http-download.js';
import { keyFor, parseMediaSource, type MediaSource } from './media-source.js';

/** The FTP client is loaded only for ftp:// media: every other run (a cached ISO above all) is spared its import. */
const ftpDownload = () => import('./ftp-download.js');

export interface FetchContext {
  logger: Logger;
  signal?: AbortSignal;
  policy: RetryPolicy;
  offline: boolean;
  /** Ignore cached copies and download again (Oz's -f). */
  force: boolean;
  /** Where downloads are kept: the shared cache area, or the build's own directory. */
  store: ContentStore;
  /** Records of local files' hashes and of SUMS lookups (always the shared cache). */
  refs: ContentStore;
}

export interface FetchedFile {
  url: string;
  path: string;
  sha256: string;
  bytes: number;
  digests: Partial<Record<HashAlgorithm, string>>;
  verified: ExpectedChecksum | null;
  fromCache: boolean;
}

/**
 * What the media must hash to. A SUMS file is fetched (or read) and searched for the
 * media's file name; the answer is remembered so --offline can verify later.
 */
export async function resolveChecksum(spec: ChecksumSpec, mediaName: string, ctx: FetchContext): Promise<ExpectedChecksum | null> {
  if (spec.type === 'none') return null;
  if (spec.type === 'inline') return spec.expected;
  const refName = keyFor('sums', `${spec.url}\n${mediaName}\n${spec.algorithm}`);
  const source = parseMediaSource(spec.url, process.cwd(), 'checksum file');
  let text: string;
  if (source.kind === 'file') {
    try {
      text = await readFile(source.path, 'utf8');
    } catch (error) {
      throw new OzkitError('INPUT_MISSING', `${source.path}: cannot read checksum file: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  } else if (ctx.offline) {
    const ref = await ctx.refs.readRef(refName);
    if (!ref)
      throw new OzkitError('OFFLINE_MISS', `checksum file ${spec.url} is not in the cache and --offline is set`, {
        hint: 'run once without --offline to fetch it (or give the checksum inline as sha256:<hex>)',
      });
    return { algorithm: spec.algorithm, hex: ref.key, source: redactUrls(spec.url) };
  } else {
    text = await (source.kind === 'ftp' ? (await ftpDownload()).fetchFtpText : fetchText)(source.url, ctx.policy, ctx.logger, ctx.signal);
  }
  const hex = findInSums(text, mediaName, spec.algorithm);
  if (!hex)
    throw new OzkitError('BAD_MEDIA', `${spec.url}: no ${spec.algorithm} checksum for "${mediaName}" in this checksum file`, {
      hint: 'the checksum file must list the media by its file name (GNU "hash  name" or BSD "SHA256 (name) = hash")',
    });
  await ctx.refs.writeRef(refName, { key: hex, url: redactUrls(spec.url), name: mediaName });
  return { algorithm: spec.algorithm, hex, source: redactUrls(spec.url) };
}

/** Fetches (or finds in the cache, or hashes in place) one piece of media, verified. */
export async function fetchOriginal(source: MediaSource, expected: ExpectedChecksum | null, ctx: FetchContext, label = source.name): Promise<FetchedFile> {
  return source.kind === 'file' ? useLocalFile(source, expected, ctx, label) : fetchRemote(source, expected, ctx, label);
}

async function useLocalFile(
  source: Extract<MediaSource, { kind: 'file' }>,
  expected: ExpectedChecksum | null,
  ctx: FetchContext,
  label: string,
): Promise<FetchedFile> {
  let info;
  try {
    info = await stat(source.path);
  } catch (error) {
    throw new OzkitError('INPUT_MISSING', `${source.path}: install media not found (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, {
      hint: 'check the TDL <iso>/<url> or --iso',
    });
  }
  if (!info.isFile()) throw new OzkitError('BAD_MEDIA', `${source.path}: not a regular file`);
  // Hashing a 10 GB DVD on every run is slow: remember the digests per (path, size, mtime, inode).
  const refName = keyFor('file', source.path);
  const ref = await ctx.refs.readRef(refName);
  const algorithms: HashAlgorithm[] = expected ? [expected.algorithm] : [];
  let digests: Partial<Record<HashAlgorithm, string>> | undefined;
  let fromCache = false;
  if (!ctx.force && ref && ref.size === info.size && ref.mtimeMs === info.mtimeMs && ref.ino === info.ino) {
    const d = ref.digests as Partial<Record<HashAlgorithm, string>>;
    if (!expected || d[expected.algorithm]) {
      digests = d;
      fromCache = true;
    }
  }
  if (!digests) {
    const bar = new ProgressBar(ctx.logger, { label: `hashing ${label}`, total: info.size, verb: 'hashed' });
    try {
      digests = (await hashFile(source.path, algorithms, (n) => bar.update(n), ctx.signal)).digests;
    } finally {
      bar.done();
    }
    await ctx.refs.writeRef(refName, { key: digests.sha256!, size: info.size, mtimeMs: info.mtimeMs, ino: info.ino, digests });
  }
  if (expected) verifyDigest(digests, expected, source.path);
  return { url: source.url, path: source.path, sha256: digests.sha256!, bytes: info.size, digests, verified: expected, fromCache };
}

/** An http(s) or ftp download: the same lock, cache, resume and verification rules for both. */
async function fetchRemote(
  source: Extract<MediaSource, { kind: 'http' | 'ftp' }>,
  expected: ExpectedChecksum | null,
  ctx: FetchContext,
  label: string,
): Promise<FetchedFile> {
  const { store } = ctx;
  const urlKey = keyFor('url', source.url);
  const lock = await store.lock(urlKey, {
    signal: ctx.signal,
    onWait: () => ctx.logger.info(`waiting for another build that is fetching ${source.url}`),
  });
  try {
    if (!ctx.force) {
      const hit = await cachedCopy(store, urlKey, source.url, expected);
      if (hit) {
        ctx.logger.info(`using cached ${label} (${hit.path})`);
        await store.touch(hit.sha256);
        return { ...hit, verified: expected };
      }
    }
    if (ctx.offline)
      throw new OzkitError('OFFLINE_MISS', `${source.url} is not in the cache and --offline is set`, {
        hint: `run once without --offline to download it into ${store.root}`,
      });
    const partial = store.partialPath(urlKey);
    const bar = new ProgressBar(ctx.logger, { label: `downloading ${label}`, total: undefined, verb: 'downloaded' });
    let progress: ProgressBar = bar;
    let result;
    try {
      result = await (source.kind === 'ftp' ? (await ftpDownload()).downloadFtp : download)({
        url: source.url,
        dest: partial,
        algorithms: expected ? [expected.algorithm] : [],
        policy: ctx.policy,
        logger: ctx.logger,
        signal: ctx.signal,
        onSize: async (total, remaining) => {
          if (remaining !== undefined) await ensureFreeSpace(store.root, remaining, `downloading ${source.name}`);
          if (total !== undefined) {
            progress.done();
            progress = new ProgressBar(ctx.logger, { label: `downloading ${label}`, total, verb: 'downloaded' });
          }
        },
        onProgress: (current) => progress.update(current),
      });
    } finally {
      progress.done();
      bar.done();
    }
    try {
      if (expected) verifyDigest(result.digests, expected, source.url);
    } catch (error) {
      // Bad bytes never enter the cache, and are not resumed from either.
      await rm(partial, { force: true });
      throw error;
    }
    if (!expected) ctx.logger.warn(`${source.url}: no checksum given, so the download is not verified (add sha256sum to the TDL or --checksum sha256:<hex>)`);
    const sha256 = result.digests.sha256;
    const entry = await store.commit(sha256, partial);
    await store.writeRef(urlKey, { key: sha256, url: redactUrls(source.url), bytes: entry.bytes, digests: result.digests });
    ctx.logger.info(
      `fetched ${source.url} (${entry.bytes} bytes${result.resumedFrom ? `, resumed at ${result.resumedFrom}` : ''}${result.attempts > 1 ? `, ${result.attempts} attempts` : ''})`,
    );
    ctx.logger.event('fetched', { url: source.url, bytes: entry.bytes, sha256, resumedFrom: result.resumedFrom, attempts: result.attempts });
    return { url: source.url, path: entry.path, sha256, bytes: entry.bytes, digests: result.digests, verified: expected, fromCache: false };
  } finally {
    await lock.release();
  }
}

/** A cached copy that matches: by content address when the sha256 is known, else through the URL's ref. */
async function cachedCopy(store: ContentStore, urlKey: string, url: string, expected: ExpectedChecksum | null): Promise<Omit<FetchedFile, 'verified'> | undefined> {
  if (expected?.algorithm === 'sha256') {
    const entry = await store.get(expected.hex);
    if (entry) return { url, path: entry.path, sha256: expected.hex, bytes: entry.bytes, digests: { sha256: expected.hex }, fromCache: true };
  }
  const ref = await store.readRef(urlKey);
  if (!ref) return undefined;
  const entry = await store.get(ref.key);
  if (!entry || entry.bytes !== ref.bytes) return undefined;
  const digests = (ref.digests ?? { sha256: ref.key }) as Partial<Record<HashAlgorithm, string>>;
  if (expected && digests[expected.algorithm] !== expected.hex) {
    if (digests[expected.algorithm] !== undefined) return undefined;
    const computed = await hashFile(entry.path, [expected.algorithm]);
    if (computed.digests[expected.algorithm] !== expected.hex) return undefined;
    digests[expected.algorithm] = computed.digests[expected.algorithm];
  }
  return { url, path: entry.path, sha256: ref.key, bytes: entry.bytes, digests, fromCache: true };
}

/** The `media.original` record for the document. */
export function originalRecord(file: FetchedFile, kind: 'iso' | 'tree'): Media['original'] {
  return {
    url: redactUrls(file.url),
    kind,
    path: file.path,
    sha256: file.sha256,
    bytes: file.bytes,
    verified: file.verified ? { kind: file.verified.algorithm as ChecksumKind, source: file.verified.source } : null,
    fromCache: file.fromCache,
  };
}
