import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFixtureIso, makeDocument, writeAnswer } from './fixtures/media-fixtures.test-support.js';
import { MediaServer, sha256 } from './fixtures/media-server.test-support.js';

const bin = fileURLToPath(new URL('../bin/iso-fetch.js', import.meta.url));
const server = new MediaServer();
let dir: string;
let isoPath: string;
let isoBytes: Buffer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ozkit-cli-'));
  await server.start();
  isoPath = buildFixtureIso(join(dir, 'isos'), 'debian12').path;
  isoBytes = (await import('node:fs')).readFileSync(isoPath);
  server.files.set('/debian-12.5.0-amd64-netinst.iso', { body: isoBytes });
  server.files.set('/slow/debian-12.5.0-amd64-netinst.iso', { body: isoBytes, bytesPerSecond: 4 * 1024 * 1024 });
  server.files.set('/SHA256SUMS', { body: Buffer.from(`${sha256(isoBytes)}  debian-12.5.0-amd64-netinst.iso\n`) });
}, 60_000);
afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

function docFile(name: string, iso: string, checksum?: { kind: 'sha256'; value: string }): string {
  const workdir = join(dir, name);
  const answer = writeAnswer(workdir, 'debian', 'preseed');
  const doc = makeDocument({ workdir, os: { name: 'Debian', version: '12' }, install: { type: 'iso', iso, extras: [], ...(checksum ? { checksum } : {}) }, answer });
  const file = join(workdir, 'in.json');
  writeFileSync(file, JSON.stringify(doc));
  return file;
}

function run(args: string[], env: Record<string, string> = {}) {
  return execa(process.execPath, [bin, ...args], { reject: false, env: { ...process.env, OZKIT_CONFIG: '/dev/null', ...env }, stdin: 'ignore' });
}

describe('iso-fetch CLI', () => {
  it('prints help with examples and exits 0; a bad flag exits 64', async () => {
    const help = await run(['--help']);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain('Examples:');
    expect(help.stdout).toContain('--offline');
    const bad = await run(['--boot', 'floppy']);
    expect(bad.exitCode).toBe(64);
    expect(bad.stderr).toMatch(/^iso-fetch: Invalid values:/m);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });

  it('fetches over HTTP, verifies against a SUMS file and writes a document with media', async () => {
    const cache = join(dir, 'cache-ok');
    const result = await run(['--in', docFile('ok', server.url('/debian-12.5.0-amd64-netinst.iso'), { kind: 'sha256', value: server.url('/SHA256SUMS') })], {
      OZKIT_CACHE_DIR: cache,
    });
    expect(result.stderr).not.toMatch(/error/);
    expect(result.exitCode).toBe(0);
    const doc = JSON.parse(result.stdout);
    expect(doc.media.original).toMatchObject({
      kind: 'iso',
      sha256: sha256(isoBytes),
      verified: { kind: 'sha256', source: server.url('/SHA256SUMS') },
      fromCache: false,
    });
    expect(doc.media.boot.method).toBe('iso');
    expect(existsSync(doc.media.boot.iso)).toBe(true);
    expect(doc.stages.at(-1)).toMatchObject({ tool: 'iso-fetch' });
  });

  it('records an --iso override next to the TDL source and defaults to kernel boot only when asked', async () => {
    const result = await run(['--in', docFile('override', 'http://mirror.invalid/debian.iso'), '--iso', isoPath, '--boot', 'kernel'], {
      OZKIT_CACHE_DIR: join(dir, 'cache-override'),
    });
    expect(result.exitCode).toBe(0);
    const doc = JSON.parse(result.stdout);
    expect(doc.media.requested).toEqual({ tdl: 'http://mirror.invalid/debian.iso', override: isoPath });
    expect(doc.media.original.url).toBe(`file://${isoPath}`);
    expect(doc.media.boot).toMatchObject({ method: 'kernel', iso: isoPath });
  });

  it('--offline with an empty cache exits 69 naming the media, and passes a failure document on', async () => {
    const url = server.url('/debian-12.5.0-amd64-netinst.iso');
    const result = await run(['--in', docFile('offline', url), '--offline', '--checksum', `sha256:${sha256(isoBytes)}`], {
      OZKIT_CACHE_DIR: join(dir, 'cache-empty'),
    });
    expect(result.exitCode).toBe(69);
    expect(result.stderr).toContain(`iso-fetch: ${url} is not in the cache and --offline is set`);
    expect(result.stderr).toContain('hint:');
    expect(JSON.parse(result.stdout).failure).toMatchObject({ stage: 'iso-fetch', code: 'OFFLINE_MISS', exitCode: 69 });
  });

  it('a checksum mismatch exits 65 and leaves nothing in the cache', async () => {
    const cache = join(dir, 'cache-bad');
    const result = await run(['--in', docFile('bad', server.url('/debian-12.5.0-amd64-netinst.iso')), '--checksum', `sha256:${'0'.repeat(64)}`], {
      OZKIT_CACHE_DIR: cache,
    });
    expect(result.exitCode).toBe(65);
    expect(result.stderr).toMatch(/sha256 mismatch: expected 0{64}, got [0-9a-f]{64}/);
    const isos = join(cache, 'isos');
    expect(readdirSync(isos).filter((f) => !f.startsWith('.'))).toEqual([]);
    expect(readdirSync(join(isos, '.partial'))).toEqual([]);
  });

  it('two builds fetching the same media at once download it once and both succeed', async () => {
    const cache = join(dir, 'cache-shared');
    const url = server.url('/slow/debian-12.5.0-amd64-netinst.iso');
    const before = server.gets('/slow/debian-12.5.0-amd64-netinst.iso').length;
    const [a, b] = await Promise.all([run(['--in', docFile('a', url)], { OZKIT_CACHE_DIR: cache }), run(['--in', docFile('b', url)], { OZKIT_CACHE_DIR: cache })]);
    expect([a.exitCode, b.exitCode]).toEqual([0, 0]);
    expect(server.gets('/slow/debian-12.5.0-amd64-netinst.iso').length - before).toBe(1);
    const [da, db] = [JSON.parse(a.stdout), JSON.parse(b.stdout)];
    expect(da.media.original.path).toBe(db.media.original.path);
    expect([da.media.original.fromCache, db.media.original.fromCache].sort()).toEqual([false, true]);
    expect(a.stderr + b.stderr).toContain('waiting for another build');
  }, 60_000);

  it('--log-format json writes NDJSON progress events with rate and ETA', async () => {
    const result = await run(['--in', docFile('json', server.url('/slow/debian-12.5.0-amd64-netinst.iso')), '--log-format', 'json'], {
      OZKIT_CACHE_DIR: join(dir, 'cache-json'),
    });
    expect(result.exitCode).toBe(0);
    const events = result.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const progress = events.filter((e) => e.event === 'progress' && e.total === isoBytes.length);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress[0]).toMatchObject({ tool: 'iso-fetch', label: expect.stringContaining('download'), rate: expect.any(Number) });
    expect(events.some((e) => e.event === 'fetched' && e.bytes === isoBytes.length)).toBe(true);
  }, 60_000);

  it('a document without an answer is refused with exit 65 and a hint', async () => {
    const file = join(dir, 'noanswer.json');
    writeFileSync(file, JSON.stringify({ ozkit: 1, stages: [], template: { name: 'x', os: { install: { type: 'iso', iso: isoPath } } } }));
    const result = await run(['--in', file], { OZKIT_CACHE_DIR: join(dir, 'cache-x') });
    expect(result.exitCode).toBe(65);
    expect(result.stderr).toContain('build document has no "answer"');
    expect(result.stderr).toContain('hint: run ks-render earlier in the pipeline');
  });

  it('a missing local ISO exits 66', async () => {
    const result = await run(['--in', docFile('missing', join(dir, 'nope.iso'))], { OZKIT_CACHE_DIR: join(dir, 'cache-y') });
    expect(result.exitCode).toBe(66);
    expect(result.stderr).toContain('install media not found');
  });
});

void randomBytes;
