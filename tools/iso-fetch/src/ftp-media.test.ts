/**
 * ftp:// media and SUMS files against a real FTP server on 127.0.0.1 (pyftpdlib): the same
 * cache, resume and verification rules as http.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ContentStore } from '@ozkit/cache';
import { silentLogger } from '@ozkit/log';
import { parseChecksumSpec } from './checksum.js';
import { parseMediaSource } from './media-source.js';
import { fetchOriginal, resolveChecksum, type FetchContext } from './original-media.js';
import { buildFixtureIso, makeDocument, writeAnswer } from './fixtures/media-fixtures.test-support.js';
import { FtpServer } from './fixtures/ftp-server.test-support.js';
import { sha256 } from './fixtures/media-server.test-support.js';

const root = mkdtempSync(join(tmpdir(), 'ozkit-ftp-root-'));
const body = randomBytes(3 * 1024 * 1024 + 321);
writeFileSync(join(root, 'a.iso'), body);
writeFileSync(join(root, 'SHA256SUMS'), `${sha256(body)}  a.iso\n`);
const server = new FtpServer(root);
// About 1 MiB/s: slow enough to cut a transfer in the middle.
const slow = new FtpServer(root, 1024 * 1024);
let dir: string;

beforeAll(async () => {
  await server.start();
  await slow.start();
});
afterAll(async () => {
  await server.kill();
  await slow.kill();
  rmSync(root, { recursive: true, force: true });
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ozkit-ftp-fetch-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function context(overrides: Partial<FetchContext> = {}): FetchContext {
  const store = new ContentStore(join(dir, 'cache', 'isos'));
  return { logger: silentLogger(), policy: { retries: 3, delayMs: 20, idleTimeoutMs: 5000 }, offline: false, force: false, store, refs: store, ...overrides };
}

const inline = (hex = sha256(body)) => ({ algorithm: 'sha256' as const, hex, source: `sha256:${hex}` });
const partials = () => readdirSync(join(dir, 'cache', 'isos', '.partial'));

async function waitFor(condition: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('ftp:// media', () => {
  it('downloads anonymously, verifies while downloading, then serves from the cache without a new RETR', async () => {
    const source = parseMediaSource(server.url('/a.iso'));
    expect(source.kind).toBe('ftp');
    const first = await fetchOriginal(source, inline(), context());
    expect(first).toMatchObject({ sha256: sha256(body), bytes: body.length, fromCache: false });
    expect(readFileSync(first.path).equals(body)).toBe(true);
    const retrs = server.args('RETR').length;
    const second = await fetchOriginal(source, null, context());
    expect(second).toMatchObject({ path: first.path, fromCache: true });
    expect(server.args('RETR')).toHaveLength(retrs);
    expect(partials()).toEqual([]);
  });

  it('logs in with the user and password of the URL', async () => {
    const file = await fetchOriginal(parseMediaSource(server.url('/a.iso', 'ozkit:secret')), inline(), context());
    expect(file.bytes).toBe(body.length);
    expect(server.args('USER')).toContain('ozkit');
  });

  it('reads a SUMS file over ftp', async () => {
    const spec = parseChecksumSpec(server.url('/SHA256SUMS'), 'sha256', 'test');
    const expected = await resolveChecksum(spec, 'a.iso', context());
    expect(expected).toEqual({ algorithm: 'sha256', hex: sha256(body), source: server.url('/SHA256SUMS') });
  });

  it('keeps a partial download when the server goes away mid-transfer, and resumes it with REST', async () => {
    const source = parseMediaSource(slow.url('/a.iso'));
    const cut = fetchOriginal(source, inline(), context({ policy: { retries: 0, delayMs: 10, idleTimeoutMs: 5000 } }));
    const failed = expect(cut).rejects.toMatchObject({ code: 'NETWORK', exitCode: 75 });
    await waitFor(() => {
      const files = existsSync(join(dir, 'cache', 'isos', '.partial')) ? partials().filter((f) => !f.endsWith('.json')) : [];
      return files.length > 0 && statSync(join(dir, 'cache', 'isos', '.partial', files[0])).size > 512 * 1024;
    }, 'half a MiB of the download');
    await slow.kill();
    await failed;
    const kept = partials().filter((f) => !f.endsWith('.json'));
    expect(kept).toHaveLength(1);
    const keptBytes = statSync(join(dir, 'cache', 'isos', '.partial', kept[0])).size;
    expect(keptBytes).toBeGreaterThan(512 * 1024);
    expect(keptBytes).toBeLessThan(body.length);

    await slow.start();
    const resumed = await fetchOriginal(source, inline(), context());
    expect(readFileSync(resumed.path).equals(body)).toBe(true);
    const rest = slow.args('REST').map(Number);
    expect(rest).toHaveLength(1);
    expect(rest[0]).toBeGreaterThanOrEqual(keptBytes - 1024 * 1024);
    expect(rest[0]).toBeGreaterThan(0);
    expect(partials()).toEqual([]);
  });

  it('starts over instead of resuming when the file on the server changed', async () => {
    const changing = join(root, 'changing.iso');
    writeFileSync(changing, body);
    const source = parseMediaSource(slow.url('/changing.iso'));
    const cut = fetchOriginal(source, null, context({ policy: { retries: 0, delayMs: 10, idleTimeoutMs: 5000 } }));
    const failed = expect(cut).rejects.toMatchObject({ code: 'NETWORK' });
    await waitFor(
      () =>
        existsSync(join(dir, 'cache', 'isos', '.partial')) &&
        partials().some((f) => !f.endsWith('.json') && statSync(join(dir, 'cache', 'isos', '.partial', f)).size > 256 * 1024),
      'part of the download',
    );
    await slow.kill();
    await failed;
    const newer = randomBytes(1024 * 1024 + 7);
    writeFileSync(changing, newer);
    const restsBefore = slow.args('REST').length;
    await slow.start();
    const file = await fetchOriginal(source, inline(sha256(newer)), context());
    expect(readFileSync(file.path).equals(newer)).toBe(true);
    expect(slow.args('REST')).toHaveLength(restsBefore);
  });

  it('refuses wrong bytes with exit 65 and keeps nothing', async () => {
    const ctx = context();
    await expect(fetchOriginal(parseMediaSource(server.url('/a.iso')), inline('0'.repeat(64)), ctx)).rejects.toMatchObject({
      code: 'CHECKSUM_MISMATCH',
      exitCode: 65,
    });
    expect(readdirSync(ctx.store.root).filter((f) => !f.startsWith('.'))).toEqual([]);
    expect(partials()).toEqual([]);
  });

  it('gives up at once on a missing file (66) and a refused login (69)', async () => {
    const retrs = server.args('RETR').length;
    await expect(fetchOriginal(parseMediaSource(server.url('/missing.iso')), null, context())).rejects.toMatchObject({ code: 'INPUT_MISSING', exitCode: 66 });
    expect(server.args('RETR')).toHaveLength(retrs);
    await expect(fetchOriginal(parseMediaSource(server.url('/a.iso', 'ozkit:wrong')), null, context())).rejects.toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      exitCode: 69,
      message: expect.stringMatching(/FTP 530/),
    });
  });

  it('refuses an ftp:// install tree with a clear message', async () => {
    const { fetchTreeBootFiles } = await import('./install-tree.js');
    await expect(fetchTreeBootFiles(server.url('/tree/'), 'redhat', 'x86_64', context())).rejects.toMatchObject({
      code: 'BAD_TDL',
      message: expect.stringMatching(/ftp:\/\/ trees are not supported/),
    });
  });
});

describe('iso-fetch CLI with ftp:// media', () => {
  const bin = fileURLToPath(new URL('../bin/iso-fetch.js', import.meta.url));
  let isoBytes: Buffer;

  beforeAll(() => {
    const iso = buildFixtureIso(join(root, 'build'), 'debian12').path;
    isoBytes = readFileSync(iso);
    mkdirSync(join(root, 'debian'), { recursive: true });
    writeFileSync(join(root, 'debian', 'debian-12.5.0-amd64-netinst.iso'), isoBytes);
    writeFileSync(join(root, 'debian', 'SHA256SUMS'), `${sha256(isoBytes)}  debian-12.5.0-amd64-netinst.iso\n`);
    writeFileSync(join(root, 'debian', 'BADSUMS'), `${'1'.repeat(64)}  debian-12.5.0-amd64-netinst.iso\n`);
  }, 60_000);

  function run(name: string, sums: string) {
    const workdir = join(dir, name);
    const answer = writeAnswer(workdir, 'debian', 'preseed');
    const iso = server.url('/debian/debian-12.5.0-amd64-netinst.iso');
    const doc = makeDocument({
      workdir,
      os: { name: 'Debian', version: '12' },
      install: { type: 'iso', iso, extras: [], checksum: { kind: 'sha256', value: server.url(`/debian/${sums}`) } },
      answer,
    });
    const file = join(workdir, 'in.json');
    writeFileSync(file, JSON.stringify(doc));
    return execa(process.execPath, [bin, '--in', file], {
      reject: false,
      env: { ...process.env, OZKIT_CONFIG: '/dev/null', OZKIT_CACHE_DIR: join(dir, 'cache') },
      stdin: 'ignore',
    });
  }

  it('fetches an ftp:// ISO verified against an ftp:// SUMS file', async () => {
    const result = await run('ok', 'SHA256SUMS');
    expect(result.exitCode, result.stderr).toBe(0);
    const doc = JSON.parse(result.stdout);
    expect(doc.media.original).toMatchObject({
      url: server.url('/debian/debian-12.5.0-amd64-netinst.iso'),
      sha256: sha256(isoBytes),
      verified: { kind: 'sha256', source: server.url('/debian/SHA256SUMS') },
    });
    expect(doc.media.boot.method).toBe('iso');
  }, 60_000);

  it('a SUMS file that disagrees exits 65 with one line and no stack', async () => {
    const result = await run('bad', 'BADSUMS');
    expect(result.exitCode).toBe(65);
    expect(result.stderr).toMatch(/^iso-fetch: .*sha256 mismatch: expected 1{64}, got [0-9a-f]{64}/m);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(JSON.parse(result.stdout).failure).toMatchObject({ stage: 'iso-fetch', code: 'CHECKSUM_MISMATCH', exitCode: 65 });
  }, 60_000);
});
