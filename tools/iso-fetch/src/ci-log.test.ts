/**
 * A CI log (stderr piped, not a terminal) gets a status line per interval during a real long
 * wait: a throttled download from a real HTTP server on 127.0.0.1, with OZKIT_STATUS_INTERVAL
 * shortening the 30 s to one second.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFixtureIso, makeDocument, writeAnswer } from './fixtures/media-fixtures.test-support.js';
import { MediaServer } from './fixtures/media-server.test-support.js';

const bin = fileURLToPath(new URL('../bin/iso-fetch.js', import.meta.url));
const server = new MediaServer();
let dir: string;
let isoBytes: Buffer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ozkit-ci-log-'));
  await server.start();
  isoBytes = readFileSync(buildFixtureIso(join(dir, 'isos'), 'debian12').path);
  // About eight seconds for the whole ISO: at least two one-second ticks even when a loaded machine skips some.
  server.files.set('/slow/debian-12.5.0-amd64-netinst.iso', { body: isoBytes, bytesPerSecond: Math.ceil(isoBytes.length / 8) });
}, 60_000);
afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

function run(name: string, args: string[]) {
  const workdir = join(dir, name);
  const answer = writeAnswer(workdir, 'debian', 'preseed');
  const doc = makeDocument({
    workdir,
    os: { name: 'Debian', version: '12' },
    install: { type: 'iso', iso: server.url('/slow/debian-12.5.0-amd64-netinst.iso'), extras: [] },
    answer,
  });
  const file = join(workdir, 'in.json');
  writeFileSync(file, JSON.stringify(doc));
  const env = { ...process.env, OZKIT_CONFIG: '/dev/null', OZKIT_CACHE_DIR: join(dir, `cache-${name}`), OZKIT_STATUS_INTERVAL: '1' };
  return execa(process.execPath, [bin, '--in', file, ...args], { reject: false, env, stdin: 'ignore', stderr: 'pipe' });
}

describe('status lines of a long wait in a CI log', () => {
  it('a piped stderr gets "downloading …: <elapsed>, <done> of <total> downloaded (<n>%)" once per interval', async () => {
    const result = await run('text', []);
    expect(result.exitCode, result.stderr).toBe(0);
    const lines = result.stderr.split('\n').filter((l) => l.startsWith('iso-fetch: downloading debian-12.5.0-amd64-netinst.iso: '));
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines[0]).toMatch(/^iso-fetch: downloading debian-12\.5\.0-amd64-netinst\.iso: 1s, [\d.]+ (KiB|MiB) of [\d.]+ MiB downloaded \(\d+%\)$/);
    const seconds = lines.map((l) => Number(/: (\d+)s, /.exec(l)![1]));
    // One per interval: 1s, 2s, 3s… (a loaded machine may skip a tick, never repeat one).
    for (let i = 1; i < seconds.length; i++) expect(seconds[i]).toBeGreaterThan(seconds[i - 1]);
    expect(result.stderr).not.toContain('\r');
  }, 60_000);

  it('with --log-format json the same lines are NDJSON progress events', async () => {
    const result = await run('json', ['--log-format', 'json']);
    expect(result.exitCode, result.stderr).toBe(0);
    const events = result.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const ticks = events.filter((e) => e.event === 'progress' && typeof e.message === 'string');
    expect(ticks.length).toBeGreaterThanOrEqual(2);
    expect(ticks[0]).toMatchObject({ tool: 'iso-fetch', label: 'downloading debian-12.5.0-amd64-netinst.iso', total: isoBytes.length });
    expect(ticks[0].message).toMatch(/^downloading debian-12\.5\.0-amd64-netinst\.iso: 1s, .* downloaded \(\d+%\)$/);
  }, 60_000);
});
