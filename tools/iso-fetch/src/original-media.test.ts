import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ContentStore } from '@ozkit/cache';
import { Logger, silentLogger } from '@ozkit/log';
import { parseChecksumSpec } from './checksum.js';
import { parseMediaSource } from './media-source.js';
import { fetchOriginal, resolveChecksum, type FetchContext } from './original-media.js';
import { MediaServer, sha256 } from './fixtures/media-server.test-support.js';

const server = new MediaServer();
const body = randomBytes(3 * 1024 * 1024 + 123);
let dir: string;

beforeAll(() => server.start());
afterAll(() => server.stop());
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ozkit-fetch-'));
  server.requests.length = 0;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function context(overrides: Partial<FetchContext> = {}): FetchContext {
  const store = new ContentStore(join(dir, 'cache', 'isos'));
  return {
    logger: silentLogger(),
    policy: { retries: 3, delayMs: 20, idleTimeoutMs: 2000 },
    offline: false,
    force: false,
    store,
    refs: store,
    ...overrides,
  };
}

function serve(path: string, extra: Partial<Parameters<MediaServer['files']['set']>[1]> = {}) {
  server.files.set(path, { body, ...extra });
  return parseMediaSource(server.url(path));
}

const inline = (hex = sha256(body)) => ({ algorithm: 'sha256' as const, hex, source: `sha256:${hex}` });

describe('fetching media over HTTP', () => {
  it('downloads once, verifies while downloading, and then serves from the content-addressed cache', async () => {
    const source = serve('/a.iso');
    const ctx = context();
    const first = await fetchOriginal(source, inline(), ctx);
    expect(first).toMatchObject({ sha256: sha256(body), bytes: body.length, fromCache: false });
    expect(first.path).toBe(join(ctx.store.root, sha256(body)));
    expect(readFileSync(first.path).equals(body)).toBe(true);
    const second = await fetchOriginal(source, inline(), context());
    expect(second).toMatchObject({ path: first.path, fromCache: true });
    // Without a checksum the URL's ref finds it too.
    const third = await fetchOriginal(source, null, context());
    expect(third).toMatchObject({ path: first.path, fromCache: true });
    expect(server.gets('/a.iso')).toHaveLength(1);
  });

  it('resumes a transfer cut mid-way with a Range request guarded by If-Range', async () => {
    const source = serve('/cut.iso', { cutAfter: 1024 * 1024, cutTimes: 1 });
    const file = await fetchOriginal(source, inline(), context());
    expect(readFileSync(file.path).equals(body)).toBe(true);
    const gets = server.gets('/cut.iso');
    expect(gets).toHaveLength(2);
    expect(gets[0].range).toBeUndefined();
    expect(gets[1].range).toMatch(/^bytes=\d+-$/);
    expect(Number(/\d+/.exec(gets[1].range!)![0])).toBeGreaterThan(0);
    expect(gets[1].ifRange).toMatch(/^"/);
  });

  it('keeps an interrupted download when retries run out and resumes it on the next run', async () => {
    const source = serve('/flaky.iso', { cutAfter: 1024 * 1024, cutTimes: 1 });
    await expect(fetchOriginal(source, inline(), context({ policy: { retries: 0, delayMs: 10, idleTimeoutMs: 2000 } }))).rejects.toMatchObject({
      code: 'NETWORK',
      exitCode: 75,
    });
    expect(readdirSync(join(dir, 'cache', 'isos', '.partial')).length).toBeGreaterThan(0);
    const file = await fetchOriginal(source, inline(), context());
    expect(readFileSync(file.path).equals(body)).toBe(true);
    expect(server.gets('/flaky.iso')[1].range).toMatch(/^bytes=[1-9]\d*-$/);
    expect(readdirSync(join(dir, 'cache', 'isos', '.partial'))).toEqual([]);
  });

  it('starts over when the server ignores Range', async () => {
    const source = serve('/norange.iso', { cutAfter: 1024 * 1024, cutTimes: 1, noRanges: true });
    const file = await fetchOriginal(source, inline(), context());
    expect(readFileSync(file.path).equals(body)).toBe(true);
  });

  it('refuses wrong bytes with exit 65 and keeps nothing', async () => {
    const wrong = Buffer.from(body);
    wrong[12345] ^= 0xff;
    const source = serve('/bad.iso', { wrongBody: wrong });
    const ctx = context();
    await expect(fetchOriginal(source, inline(), ctx)).rejects.toMatchObject({ code: 'CHECKSUM_MISMATCH', exitCode: 65 });
    expect(readdirSync(ctx.store.root).filter((f) => !f.startsWith('.'))).toEqual([]);
    expect(readdirSync(join(ctx.store.root, '.partial'))).toEqual([]);
    expect(await ctx.store.readRef(`url-${createHash('sha256').update(source.url).digest('hex').slice(0, 40)}`)).toBeUndefined();
  });

  it('retries transient failures (503) with backoff', async () => {
    const source = serve('/busy.iso', { failTimes: 2 });
    const lines: string[] = [];
    const logger = new Logger({ tool: 'iso-fetch', format: 'json', stream: { write: (s: string) => lines.push(s), isTTY: false } as never });
    const file = await fetchOriginal(source, inline(), context({ logger }));
    expect(file.bytes).toBe(body.length);
    expect(server.gets('/busy.iso')).toHaveLength(3);
    const retries = lines.map((l) => JSON.parse(l)).filter((e) => e.event === 'retry');
    expect(retries.map((r) => r.waitMs)).toEqual([20, 40]);
  });

  it('gives up on 404 at once with exit 66', async () => {
    await expect(fetchOriginal(parseMediaSource(server.url('/missing.iso')), null, context())).rejects.toMatchObject({ code: 'INPUT_MISSING', exitCode: 66 });
    expect(server.gets('/missing.iso')).toHaveLength(1);
  });

  it('treats a stalled transfer as failed after the idle timeout and retries', async () => {
    const source = serve('/stall.iso', { stallMs: 1500, stallTimes: 1 });
    const file = await fetchOriginal(source, inline(), context({ policy: { retries: 4, delayMs: 10, idleTimeoutMs: 300 } }));
    expect(file.bytes).toBe(body.length);
    // At least the stalled request and one more (a loaded machine may time out once more).
    expect(server.gets('/stall.iso').length).toBeGreaterThanOrEqual(2);
  });

  it('reports progress of a slow download as NDJSON events with rate and ETA', async () => {
    const small = randomBytes(200 * 1024);
    server.files.set('/slow.iso', { body: small, bytesPerSecond: 400 * 1024 });
    const lines: string[] = [];
    const logger = new Logger({ tool: 'iso-fetch', format: 'json', stream: { write: (s: string) => lines.push(s), isTTY: false } as never });
    await fetchOriginal(parseMediaSource(server.url('/slow.iso')), inline(sha256(small)), context({ logger }));
    const events = lines.map((l) => JSON.parse(l));
    const end = events.find((e) => e.event === 'progress-end' && e.total === small.length);
    expect(end).toMatchObject({ current: small.length, total: small.length });
    expect(end.rate).toBeGreaterThan(0);
    expect(events.some((e) => e.event === 'progress' && e.total === small.length && 'eta' in e)).toBe(true);
  });

  it('lets two concurrent fetches of the same media download it once', async () => {
    const source = serve('/shared.iso', { bytesPerSecond: 8 * 1024 * 1024 });
    const [a, b] = await Promise.all([fetchOriginal(source, inline(), context()), fetchOriginal(source, inline(), context())]);
    expect(a.path).toBe(b.path);
    expect([a.fromCache, b.fromCache].sort()).toEqual([false, true]);
    expect(server.gets('/shared.iso')).toHaveLength(1);
  });

  it('offline: uses the cache, and names the media when it is missing (exit 69)', async () => {
    const source = serve('/off.iso');
    await expect(fetchOriginal(source, inline(), context({ offline: true }))).rejects.toMatchObject({
      code: 'OFFLINE_MISS',
      exitCode: 69,
      message: expect.stringContaining(server.url('/off.iso')),
    });
    expect(server.requests).toHaveLength(0);
    await fetchOriginal(source, inline(), context());
    const hit = await fetchOriginal(source, inline(), context({ offline: true }));
    expect(hit.fromCache).toBe(true);
    expect(server.requests).toHaveLength(1);
  });

  it('downloads into the build directory instead when original media is not cached', async () => {
    const source = serve('/nocache.iso');
    const work = new ContentStore(join(dir, 'work', 'downloads'));
    const file = await fetchOriginal(source, inline(), context({ store: work }));
    expect(file.path.startsWith(join(dir, 'work', 'downloads'))).toBe(true);
    expect(existsSync(join(dir, 'cache', 'isos', sha256(body)))).toBe(false);
  });
});

describe('checksums', () => {
  const name = 'CentOS-7-x86_64-Minimal-2009.iso';
  const gnu = () => `${sha256('other')}  other.iso\n${sha256(body)}  ${name}\n`;
  const bsd = () =>
    `-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n# Fedora-Server-40 CHECKSUM\nSHA256 (other.iso) = ${sha256('x')}\nSHA256 (${name}) = ${sha256(body)}\n-----BEGIN PGP SIGNATURE-----\n`;

  it('finds the media in a GNU SUMS file served over HTTP and verifies against it', async () => {
    server.files.set('/sha256sum.txt', { body: Buffer.from(gnu()) });
    const ctx = context();
    const expected = await resolveChecksum(parseChecksumSpec(server.url('/sha256sum.txt'), 'sha256', 'tdl'), name, ctx);
    expect(expected).toEqual({ algorithm: 'sha256', hex: sha256(body), source: server.url('/sha256sum.txt') });
    const file = await fetchOriginal(serve(`/${name}`), expected, ctx);
    expect(file.verified).toEqual(expected);
    // Remembered for --offline.
    expect(await resolveChecksum(parseChecksumSpec(server.url('/sha256sum.txt'), 'sha256', 'tdl'), name, context({ offline: true }))).toMatchObject({
      hex: sha256(body),
    });
  });

  it('reads BSD-style (Fedora CHECKSUM) files from a path', async () => {
    const sums = join(dir, 'CHECKSUM');
    writeFileSync(sums, bsd());
    expect(await resolveChecksum(parseChecksumSpec(sums, 'sha256', 'tdl'), name, context())).toMatchObject({ hex: sha256(body) });
  });

  it('verifies md5 from a SUMS file in the same pass and remembers it for the cache', async () => {
    const md5 = createHash('md5').update(body).digest('hex');
    server.files.set('/MD5SUMS', { body: Buffer.from(`${md5} *${name}\n`) });
    const expected = await resolveChecksum(parseChecksumSpec(server.url('/MD5SUMS'), 'md5', 'tdl'), name, context());
    const source = serve(`/${name}`);
    await fetchOriginal(source, expected, context());
    const again = await fetchOriginal(source, expected, context());
    expect(again.fromCache).toBe(true);
    expect(server.gets(`/${name}`)).toHaveLength(1);
  });

  it('fails clearly when the SUMS file does not list the media, or is not cached offline', async () => {
    server.files.set('/SHA256SUMS', { body: Buffer.from(`${sha256('x')}  other.iso\n`) });
    await expect(resolveChecksum(parseChecksumSpec(server.url('/SHA256SUMS'), 'sha256', 'tdl'), name, context())).rejects.toMatchObject({
      code: 'BAD_MEDIA',
      message: expect.stringContaining(name),
    });
    await expect(resolveChecksum(parseChecksumSpec(server.url('/NEVER'), 'sha256', 'tdl'), name, context({ offline: true }))).rejects.toMatchObject({
      code: 'OFFLINE_MISS',
    });
  });
});

describe('local media', () => {
  it('hashes a local ISO once and remembers the digest while the file is unchanged', async () => {
    const path = join(dir, 'local.iso');
    writeFileSync(path, body);
    const first = await fetchOriginal(parseMediaSource(path), inline(), context());
    expect(first).toMatchObject({ path, fromCache: false, url: `file://${path}` });
    const second = await fetchOriginal(parseMediaSource(`file://${path}`), inline(), context());
    expect(second.fromCache).toBe(true);
    writeFileSync(path, Buffer.concat([body, Buffer.from('x')]));
    await expect(fetchOriginal(parseMediaSource(path), inline(), context())).rejects.toMatchObject({ code: 'CHECKSUM_MISMATCH' });
    await expect(fetchOriginal(parseMediaSource(join(dir, 'nope.iso')), null, context())).rejects.toMatchObject({ code: 'INPUT_MISSING', exitCode: 66 });
  });
});
