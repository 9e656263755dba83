/**
 * Hostile documents and inputs (issue 15), through the real CLIs: a document tampered in a key
 * a stage reads must not make it read, write or delete outside the build (a watched victim
 * folder stays as it was), secrets never reach stderr or a world-readable file, control
 * characters never reach the terminal raw, and every wait ends (SIGTERM → 143 at once).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuildDocument } from '@ozkit/build-document';
import { buildFixtureIso, makeDocument, writeAnswer } from '../../tools/iso-fetch/src/fixtures/media-fixtures.test-support.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const work = mkdtempSync(join(tmpdir(), 'ozkit-hostile-'));
const victim = join(work, 'victim');
const bin = (tool: string) => join(repoRoot, 'tools', tool, 'bin', `${tool}.js`);
const env = (extra: Record<string, string> = {}) => ({ ...process.env, OZKIT_CONFIG: '/dev/null', OZKIT_CACHE_DIR: join(work, 'cache'), ...extra });
let fixtureIso: string;

beforeAll(() => {
  mkdirSync(victim, { recursive: true });
  writeFileSync(join(victim, 'a.ppm'), Buffer.concat([Buffer.from('P6\n1 1\n255\n'), Buffer.from([1, 2, 3])]));
  writeFileSync(join(victim, 'secret.txt'), 'victim secret\n');
  fixtureIso = buildFixtureIso(join(work, 'isos'), 'debian12').path;
}, 60_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Every name, size and mtime below the victim folder: compared before and after each run. */
function snapshot(dir = victim): string {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const s = lstatSync(p);
      out.push(`${p} ${s.size} ${s.mtimeMs} ${s.mode.toString(8)}`);
      if (s.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out.join('\n');
}

function run(tool: string, args: string[], input?: string, extraEnv: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [bin(tool), ...args], { input: input ?? '', encoding: 'utf8', env: env(extraEnv), timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Like run, without blocking this process (the test's HTTP server must keep answering). */
function runAsync(
  tool: string,
  args: string[],
  input: string,
  extraEnv: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [bin(tool), ...args], { env: env(extraEnv), stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  child.stdin.end(input);
  return new Promise((r) => child.on('close', (code) => r({ code, stdout, stderr })));
}

/** One clean error: no stack trace, every line starts with the tool's name. */
function expectCleanError(stderr: string, tool: string) {
  expect(stderr).not.toMatch(/\n\s+at /);
  for (const line of stderr.trim().split('\n')) expect(line.startsWith(`${tool}: `)).toBe(true);
}

const failureDoc = (workdir: string, screenshots: unknown, exitCode: unknown = 75, message = 'x') =>
  JSON.stringify({ ozkit: 1, workdir, stages: [], failure: { stage: 'guest-install', code: 'TIMEOUT', message, exitCode, screenshots } });

describe('ppm2png: failure.screenshots from a document (item 1)', () => {
  const workdir = join(work, 'ppm-build');
  beforeAll(() => {
    mkdirSync(workdir, { recursive: true });
    symlinkSync(join(victim, 'a.ppm'), join(workdir, 'link.ppm'));
    spawnSync('mkfifo', [join(workdir, 'fifo.ppm')]);
  });

  for (const [name, entry] of [
    ['an absolute path outside', () => join(victim, 'a.ppm')],
    ['a path with ..', () => join(workdir, '..', 'victim', 'a.ppm')],
    ['a relative path with ..', () => '../victim/a.ppm'],
    ['a symlink inside the workdir pointing out', () => 'link.ppm'],
    ['/dev/zero', () => '/dev/zero.ppm'],
    ['a FIFO inside the workdir', () => 'fifo.ppm'],
  ] as const) {
    it(`refuses ${name} (65), converting and deleting nothing`, () => {
      const before = snapshot();
      const r = run('ppm2png', ['--remove-source'], failureDoc(workdir, [entry()]));
      expect(r.code).toBe(65);
      expect(r.stderr).toMatch(/failure\.screenshots\[0\]: .*(outside the build|not a regular file)/);
      expectCleanError(r.stderr, 'ppm2png');
      expect(snapshot()).toBe(before);
    });
  }

  it('still converts (and removes) a screenshot inside the workdir', () => {
    writeFileSync(join(workdir, 'shot.ppm'), readFileSync(join(victim, 'a.ppm')));
    const r = run('ppm2png', ['--remove-source'], failureDoc(workdir, ['shot.ppm']));
    expect(r.code).toBe(0);
    expect(existsSync(join(workdir, 'shot.png'))).toBe(true);
    expect(existsSync(join(workdir, 'shot.ppm'))).toBe(false);
  });
});

describe('a failure document never looks successful (item 7)', () => {
  for (const exitCode of [0, 256, -1, '1'])
    it(`failure.exitCode ${JSON.stringify(exitCode)} stops every later stage with 65`, () => {
      for (const tool of ['ks-render', 'iso-fetch', 'guest-install', 'guest-customize', 'icicle-gen']) {
        const r = run(tool, [], failureDoc(join(work, 'fail-build'), undefined, exitCode));
        expect(r.code, tool).toBe(65);
        expectCleanError(r.stderr, tool);
      }
    });
});

describe('control characters are escaped on the way to the terminal (item 5)', () => {
  it('an escape sequence in failure.message reaches stderr as text', () => {
    const r = run('ks-render', [], failureDoc(join(work, 'esc-build'), undefined, 75, 'boom\u001b]0;pwned\u0007\u001b[2J'));
    expect(r.code).toBe(75);
    // eslint-disable-next-line no-control-regex
    expect(r.stderr).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    expect(r.stderr).toContain('\\x1b]0;pwned\\x07');
  });
});

/** A document ready for iso-fetch: a Debian answer file in its workdir. */
function isoFetchDoc(name: string, tamper?: (doc: BuildDocument) => void): { doc: string; workdir: string } {
  const workdir = join(work, name);
  const answer = writeAnswer(workdir, 'debian', 'preseed');
  const doc = makeDocument({ workdir, os: { name: 'Debian', version: '12' }, install: { type: 'iso', iso: fixtureIso, extras: [] }, answer });
  tamper?.(doc);
  return { doc: JSON.stringify(doc), workdir };
}

describe('iso-fetch: the answer file is the one ks-render wrote (item 2)', () => {
  it('refuses answer.path outside the build (65), nothing on any ISO', () => {
    const before = snapshot();
    const { doc, workdir } = isoFetchDoc('answer-outside', (d) => {
      d.answer!.path = join(victim, 'secret.txt');
      d.answer!.sha256 = createHash('sha256').update('victim secret\n').digest('hex');
    });
    const r = run('iso-fetch', [], doc);
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(/answer\.path: .* is outside the build/);
    expectCleanError(r.stderr, 'iso-fetch');
    expect(snapshot()).toBe(before);
    expect(existsSync(join(workdir, 'media', 'boot.iso'))).toBe(false);
  });

  it('refuses /dev/zero and a symlink out as answer.path', () => {
    for (const target of ['/dev/zero', 'link']) {
      const { doc } = isoFetchDoc(`answer-${target.replace(/\W/g, '')}`, (d) => {
        if (target === 'link') {
          symlinkSync(join(victim, 'secret.txt'), join(d.workdir!, 'preseed-link.cfg'));
          d.answer!.path = join(d.workdir!, 'preseed-link.cfg');
        } else d.answer!.path = target;
      });
      const r = run('iso-fetch', [], doc);
      expect(r.code, target).toBe(65);
      expectCleanError(r.stderr, 'iso-fetch');
    }
  });

  it('refuses an answer file whose sha256 is not the recorded one (65)', () => {
    const { doc, workdir } = isoFetchDoc('answer-changed');
    writeFileSync(join(workdir, 'preseed.cfg'), 'd-i preseed/late_command string rm -rf /\n');
    const r = run('iso-fetch', [], doc);
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(/answer file changed after ks-render wrote it/);
  });

  it('boot media carrying the answer file are private, in the cache too (item 3)', () => {
    const cache = join(work, 'cache-private');
    const { doc, workdir } = isoFetchDoc('answer-private');
    const r = run('iso-fetch', [], doc, { OZKIT_CACHE_DIR: cache });
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as BuildDocument;
    const iso = (out.media!.boot as { iso: string }).iso;
    expect(iso.startsWith(join(cache, 'modified'))).toBe(true);
    expect(statSync(iso).mode & 0o777).toBe(0o600);
    for (const dir of [join(cache, 'modified'), join(cache, 'modified', '.refs'), join(workdir, 'media')]) expect(statSync(dir).mode & 0o777, dir).toBe(0o700);
    for (const ref of readdirSync(join(cache, 'modified', '.refs'))) expect(statSync(join(cache, 'modified', '.refs', ref)).mode & 0o777).toBe(0o600);
    // Nothing was left in the temp folder.
    expect(readdirSync(join(workdir, 'media')).filter((n) => n.startsWith('.ozkit-iso-'))).toEqual([]);
  });
});

/** A server on 127.0.0.1: `/x.iso` serves the fixture ISO (`/private.iso` to alice:s3cr3tpw only), `/drip` one byte every 2 s, `/stall` headers then nothing, `/to-file` a redirect to file:. */
let server: http.Server;
let base: string;
const sockets = new Set<import('node:net').Socket>();
beforeAll(async () => {
  const iso = readFileSync(fixtureIso);
  server = http.createServer((req, res) => {
    if (req.url === '/x.iso') {
      res.writeHead(200, { 'content-length': iso.length });
      res.end(iso);
    } else if (req.url === '/private.iso') {
      // Only the real password downloads: a redacted one (alice:***) is refused.
      const ok = req.headers.authorization === `Basic ${Buffer.from('alice:s3cr3tpw').toString('base64')}`;
      res.writeHead(ok ? 200 : 401, ok ? { 'content-length': iso.length } : {});
      res.end(ok ? iso : undefined);
    } else if (req.url === '/drip.iso') {
      res.writeHead(200, { 'content-length': iso.length });
      const timer = setInterval(() => res.write(Buffer.from([0])), 2000);
      res.on('close', () => clearInterval(timer));
    } else if (req.url === '/stall.iso') {
      res.writeHead(200, { 'content-length': iso.length });
      res.write(iso.subarray(0, 1000));
    } else if (req.url === '/to-file.iso') {
      res.writeHead(302, { location: 'file:///etc/passwd' });
      res.end();
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}`;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => server.close(r));
});

describe('iso-fetch: URL credentials are redacted (item 4)', () => {
  it('prints and stores user:***@, never the password', async () => {
    const cache = join(work, 'cache-creds');
    const { doc } = isoFetchDoc('creds');
    const url = base.replace('http://', 'http://alice:s3cr3tpw@') + '/x.iso';
    const r = await runAsync('iso-fetch', ['--iso', url, '-v'], doc, { OZKIT_CACHE_DIR: cache });
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain('s3cr3tpw');
    expect(r.stdout).not.toContain('s3cr3tpw');
    expect(r.stdout).toContain('alice:***@');
    const grep = spawnSync('grep', ['-r', '-l', 's3cr3tpw', cache], { encoding: 'utf8' });
    expect(grep.stdout).toBe('');
  });
});

describe('iso-fetch: scratch folders of killed runs (item 6)', () => {
  it('are kept under the workdir, not the temp folder, and removed by the next run', () => {
    const { doc, workdir } = isoFetchDoc('stale-scratch');
    mkdirSync(join(workdir, 'media', '.ozkit-iso-killed', 'tree'), { recursive: true });
    const temp = join(work, 'stale-scratch-tmp');
    mkdirSync(temp);
    const r = run('iso-fetch', [], doc, { OZKIT_CACHE_DIR: join(work, 'cache-stale'), TMPDIR: temp });
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(join(workdir, 'media')).filter((n) => n.startsWith('.ozkit-iso-'))).toEqual([]);
    expect(readdirSync(temp)).toEqual([]);
  });
});

describe("tdl-validate | iso-fetch: an <iso> URL's credentials stay in the TDL (item 4)", () => {
  it('the document carries user:***@, iso-fetch still downloads with the real password', async () => {
    const cache = join(work, 'cache-tdl-creds');
    const tdl = join(work, 'creds.tdl');
    const url = base.replace('http://', 'http://alice:s3cr3tpw@') + '/private.iso';
    writeFileSync(
      tdl,
      `<template><name>creds</name><os><name>Debian</name><version>12</version><arch>x86_64</arch><install type="iso"><iso>${url}</iso></install></os></template>`,
    );
    const validated = run('tdl-validate', ['--workdir', join(work, 'tdl-creds-build'), tdl]);
    expect(validated.code, validated.stderr).toBe(0);
    expect(validated.stdout).not.toContain('s3cr3tpw');
    const doc = JSON.parse(validated.stdout) as BuildDocument;
    expect((doc.template!.os.install as { iso: string }).iso).toBe(url.replace('s3cr3tpw', '***'));
    doc.answer = writeAnswer(doc.workdir!, 'debian', 'preseed');
    const r = await runAsync('iso-fetch', ['-v'], JSON.stringify(doc), { OZKIT_CACHE_DIR: cache });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr + r.stdout).not.toContain('s3cr3tpw');
    expect(spawnSync('grep', ['-r', '-l', 's3cr3tpw', cache, doc.workdir!], { encoding: 'utf8' }).stdout).toBe('');
    // A TDL edited since tdl-validate read it is not trusted for the password.
    writeFileSync(tdl, readFileSync(tdl, 'utf8').replace('creds', 'creds2'));
    const changed = await runAsync('iso-fetch', [], JSON.stringify(doc), { OZKIT_CACHE_DIR: join(work, 'cache-tdl-creds2') });
    expect(changed.code).toBe(65);
    expect(changed.stderr).toMatch(/changed since tdl-validate read it/);
  });
});

describe('iso-fetch: every wait ends (item 9)', () => {
  it('cuts off a server dripping one byte every 2 s (low-speed limit), exit 75', async () => {
    const { doc } = isoFetchDoc('drip');
    const started = Date.now();
    const r = await runAsync('iso-fetch', ['--iso', `${base}/drip.iso`, '--retries', '0', '--low-speed-limit', '100', '--low-speed-time', '3'], doc, {
      OZKIT_CACHE_DIR: join(work, 'cache-drip'),
    });
    expect(r.code).toBe(75);
    expect(r.stderr).toMatch(/slower than 100 bytes\/s/);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('ends a stalled transfer at the --deadline, exit 75', async () => {
    const { doc } = isoFetchDoc('stall');
    const started = Date.now();
    const r = await runAsync('iso-fetch', ['--iso', `${base}/stall.iso`, '--deadline', '2', '--idle-timeout', '60', '--low-speed-limit', '0'], doc, {
      OZKIT_CACHE_DIR: join(work, 'cache-stall'),
    });
    expect(r.code).toBe(75);
    expect(r.stderr).toMatch(/deadline of 2 s/);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('does not follow a redirect to file: (69, not 64)', async () => {
    const { doc } = isoFetchDoc('to-file');
    const r = await runAsync('iso-fetch', ['--iso', `${base}/to-file.iso`, '--retries', '0'], doc, { OZKIT_CACHE_DIR: join(work, 'cache-redirect') });
    expect(r.code).toBe(69);
    expect(r.stderr).toMatch(/redirects to file:/);
  });

  it('--iso "" is a usage error (64)', () => {
    const { doc } = isoFetchDoc('empty-iso');
    expect(run('iso-fetch', ['--iso', ''], doc).code).toBe(64);
  });
});

/** Starts `tool`, sends SIGTERM after a second, and returns its exit code and how long it took to end after the signal. */
async function terminateAfterASecond(
  tool: string,
  args: string[],
  options: { stdin?: 'pipe' | 'ignore' } = {},
): Promise<{ code: number | null; afterSignalMs: number; stderr: string }> {
  const child = spawn(process.execPath, [bin(tool), ...args], { env: env(), stdio: [options.stdin ?? 'pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  child.stdout!.resume();
  await new Promise((r) => setTimeout(r, 1000));
  const signalled = Date.now();
  child.kill('SIGTERM');
  const code = await new Promise<number | null>((r) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.on('exit', (c) => {
      clearTimeout(timer);
      r(c);
    });
  });
  return { code, afterSignalMs: Date.now() - signalled, stderr };
}

describe('SIGTERM ends a read that blocks (item 6)', () => {
  const fifo = (name: string) => {
    const p = join(work, name);
    spawnSync('mkfifo', [p]);
    return p;
  };

  it('a FIFO without a writer as the TDL', async () => {
    const r = await terminateAfterASecond('tdl-validate', ['--workdir', join(work, 'fifo-tdl-build'), fifo('tdl.fifo')]);
    expect(r.code).toBe(143);
    expect(r.afterSignalMs).toBeLessThan(2000);
    expect(r.stderr).toMatch(/terminated \(SIGTERM\)/);
  });

  it('a FIFO as icicle-gen --in, and as a ppm2png input', async () => {
    for (const [tool, args] of [
      ['icicle-gen', ['--in', fifo('doc.fifo')]],
      ['ppm2png', [fifo('img.fifo'), '-o', join(work, 'img.png')]],
    ] as const) {
      const r = await terminateAfterASecond(tool, [...args]);
      expect(r.code, tool).toBe(143);
      expect(r.afterSignalMs, tool).toBeLessThan(2000);
    }
  });

  it('a FIFO as ks-render --auto', async () => {
    const tdl = join(work, 'auto-fifo.tdl');
    writeFileSync(
      tdl,
      '<template><name>t</name><os><name>Debian</name><version>12</version><arch>x86_64</arch><install type="iso"><iso>file:///x.iso</iso></install></os></template>',
    );
    const doc = run('tdl-validate', ['--workdir', join(work, 'auto-fifo-build'), tdl]);
    expect(doc.code).toBe(0);
    const child = spawn(process.execPath, [bin('ks-render'), '--auto', fifo('auto.fifo')], { env: env(), stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.end(doc.stdout);
    child.stdout.resume();
    await new Promise((r) => setTimeout(r, 1000));
    const signalled = Date.now();
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect(code).toBe(143);
    expect(Date.now() - signalled).toBeLessThan(2000);
  });

  it('a document on stdin from a writer that never finishes', async () => {
    const r = await terminateAfterASecond('ks-render', []);
    expect(r.code).toBe(143);
    expect(r.afterSignalMs).toBeLessThan(2000);
  });

  it('/dev/zero as a TDL, a document and an --auto file is refused by size, not read forever', () => {
    expect(run('tdl-validate', ['--workdir', join(work, 'zero-build'), '/dev/zero']).code).toBe(65);
    expect(run('icicle-gen', ['--in', '/dev/zero']).code).toBe(65);
    const tdl = join(work, 'auto-fifo.tdl');
    const doc = run('tdl-validate', ['--workdir', join(work, 'zero-auto-build'), tdl]);
    const r = run('ks-render', ['--auto', '/dev/zero'], doc.stdout);
    expect(r.code).toBe(65);
    expectCleanError(r.stderr, 'ks-render');
  });
});

describe('wrong codes and smaller items (items 10, 11)', () => {
  const tdl = () => join(work, 'auto-fifo.tdl');
  const docFor = (name: string) => JSON.parse(run('tdl-validate', ['--workdir', join(work, name), tdl()]).stdout) as BuildDocument;

  it('a YAML alias bomb in --auto is bad data (65) and ends quickly', () => {
    const ubuntuTdl = join(work, 'ubuntu.tdl');
    writeFileSync(
      ubuntuTdl,
      '<template><name>u</name><os><name>Ubuntu</name><version>22.04</version><arch>x86_64</arch><install type="iso"><iso>file:///x.iso</iso></install></os></template>',
    );
    const doc = run('tdl-validate', ['--workdir', join(work, 'bomb-build'), ubuntuTdl]);
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++)
      levels.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(',')}]`,
      );
    const bomb = join(work, 'bomb.yaml');
    writeFileSync(bomb, `#cloud-config\nautoinstall:\n  version: 1\n${levels.map((l) => '  ' + l).join('\n')}\n`);
    const started = Date.now();
    const r = run('ks-render', ['--auto', bomb], doc.stdout);
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(/alias bomb/);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('a non-string workdir and a plain-string rootpw are contract errors (65)', () => {
    const d1 = docFor('workdir-type');
    (d1 as Record<string, unknown>).workdir = 5;
    expect(run('ks-render', [], JSON.stringify(d1)).code).toBe(65);
    const d2 = docFor('rootpw-type');
    (d2.template!.os as Record<string, unknown>).rootpw = 'hunter2';
    const r = run('ks-render', [], JSON.stringify(d2));
    expect(r.code).toBe(65);
    expect(r.stderr).not.toContain('undefined');
  });

  it('a 100 000-character root password is refused at once (65)', () => {
    const long = join(work, 'long-pw.tdl');
    writeFileSync(long, readFileSync(tdl(), 'utf8').replace('<arch>', `<rootpw>${'p'.repeat(100_000)}</rootpw><arch>`));
    const doc = run('tdl-validate', ['--workdir', join(work, 'long-pw-build'), long]);
    expect(doc.code).toBe(0);
    const started = Date.now();
    const r = run('ks-render', [], doc.stdout);
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(/at most 256/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('a rootpw file moved outside the TDL and the workdir is refused (65)', () => {
    const d = docFor('rootpw-file');
    d.template!.os.rootpw = { set: true, file: join(victim, 'secret.txt') };
    const r = run('ks-render', [], JSON.stringify(d));
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(/template\.os\.rootpw\.file: .* outside the build/);
  });

  it('ppm2png -o into a missing folder is an output error (74)', () => {
    const r = run('ppm2png', [join(victim, 'a.ppm'), '-o', join(work, 'missing', 'dir', 'x.png')]);
    expect(r.code).toBe(74);
  });

  it('--auto with a NUL byte is refused (65), naming the line', () => {
    const d = docFor('nul-auto');
    const seed = join(work, 'nul.seed');
    writeFileSync(seed, 'd-i debian-installer/locale string en_US\nd-i x string a\u0000b\n');
    const r = run('ks-render', ['--auto', seed], JSON.stringify(d));
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(/nul\.seed:2:\d+: a NUL byte/);
  });

  it('workdir "/" and system folders are refused', () => {
    for (const dir of ['/', '/etc', '/usr/lib', '/tmp']) {
      const d = docFor('slash');
      d.workdir = dir;
      const r = run('ks-render', [], JSON.stringify(d));
      expect(r.code, dir).toBe(65);
      expect(r.stderr).toMatch(/system folder/);
    }
    expect(run('tdl-validate', ['--workdir', '/', tdl()]).code).toBe(64);
  });

  it('a newline in answer.kernelArgs is refused at the pipe (65)', () => {
    const { doc } = isoFetchDoc('kernel-args', (d) => d.answer!.kernelArgs.push('quiet\nlabel evil'));
    const r = run('iso-fetch', [], doc);
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(/answer\.kernelArgs\[\d\]: must not contain control characters/);
  });

  it('loopback repository URLs in any spelling are refused', () => {
    for (const host of ['127.1', '0x7f.0.0.1', '2130706433', '[::ffff:127.0.0.1]', '0.0.0.0']) {
      const t = join(work, 'repo.tdl');
      writeFileSync(
        t,
        readFileSync(tdl(), 'utf8').replace(
          '</template>',
          `<repositories><repository name="r"><url>http://${host}/repo</url></repository></repositories></template>`,
        ),
      );
      const r = run('tdl-validate', ['--workdir', join(work, 'repo-build'), t]);
      expect(r.code, host).toBe(65);
      expect(r.stderr).toMatch(/is the guest itself/);
    }
  });
});

describe('guest-install: boot media paths from the document (the rule)', () => {
  it('refuses media.boot.iso outside the build before anything starts (65)', () => {
    const { doc } = isoFetchDoc('gi-media', (d) => {
      d.media = {
        original: { url: 'file:///x.iso', kind: 'iso', path: join(victim, 'secret.txt'), sha256: '0'.repeat(64), bytes: 1, verified: null, fromCache: false },
        boot: { method: 'iso', iso: join(victim, 'secret.txt'), sha256: '0'.repeat(64) },
      } as BuildDocument['media'];
      d.stages.push({ tool: 'iso-fetch', version: '0.1.0', startedAt: '2026-01-01T00:00:00.000Z', seconds: 1, produced: ['media'] });
    });
    const before = snapshot();
    const r = run('guest-install', [], doc);
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(/media\.boot\.iso: .* outside the build/);
    expect(snapshot()).toBe(before);
  });

  it('refuses a qcow2 boot ISO whose isoBacking lies outside the build (QEMU would read it through the overlay) (65)', () => {
    const { doc } = isoFetchDoc('gi-backing', (d) => {
      const overlay = join(d.workdir!, 'media', 'boot.qcow2');
      mkdirSync(dirname(overlay), { recursive: true });
      writeFileSync(overlay, 'not really an overlay: refused paths are not opened');
      d.media = {
        original: { url: 'file:///x.iso', kind: 'iso', path: fixtureIso, sha256: '0'.repeat(64), bytes: 1, verified: null, fromCache: false },
        boot: { method: 'iso', iso: overlay, sha256: '0'.repeat(64), isoFormat: 'qcow2', isoBacking: join(victim, 'secret.txt') },
      } as BuildDocument['media'];
      d.stages.push({ tool: 'iso-fetch', version: '0.1.0', startedAt: '2026-01-01T00:00:00.000Z', seconds: 1, produced: ['media'] });
    });
    const before = snapshot();
    const r = run('guest-install', [], doc);
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(/media\.boot\.isoBacking: .* outside the build/);
    expect(snapshot()).toBe(before);
  });
});

/** An installed build: a disk and its key pair in the workdir, as guest-install leaves them. */
function installedDoc(name: string, tamper?: (doc: BuildDocument, workdir: string) => void): string {
  const { doc: text, workdir } = isoFetchDoc(name);
  const doc = JSON.parse(text) as BuildDocument;
  writeFileSync(join(workdir, 'disk.qcow2'), 'not really a disk: refused paths never reach qemu-img');
  writeFileSync(join(workdir, 'id_ed25519'), 'key', { mode: 0o600 });
  writeFileSync(join(workdir, 'id_ed25519.pub'), 'ssh-ed25519 AAAA key');
  doc.disk = {
    path: join(workdir, 'disk.qcow2'),
    format: 'qcow2',
    virtualSize: 1,
    bus: 'virtio',
    accel: 'tcg',
    installSeconds: 1,
    consoleLog: '',
    markerSeen: true,
    buildKey: { privateKey: join(workdir, 'id_ed25519'), publicKey: join(workdir, 'id_ed25519.pub') },
  };
  doc.stages.push({ tool: 'guest-install', version: '0.1.0', startedAt: '2026-01-01T00:00:00.000Z', seconds: 1, produced: ['disk'] });
  tamper?.(doc, workdir);
  return JSON.stringify(doc);
}

describe('guest-customize and icicle-gen: disk and key paths from the document (the rule)', () => {
  const tampered: [string, (d: BuildDocument, workdir: string) => void, RegExp][] = [
    ['disk.path outside', (d) => (d.disk!.path = join(victim, 'secret.txt')), /disk\.path: .* outside the build/],
    [
      'disk.path a symlink out',
      (d, workdir) => {
        symlinkSync(join(victim, 'secret.txt'), join(workdir, 'disk-link.qcow2'));
        d.disk!.path = join(workdir, 'disk-link.qcow2');
      },
      /disk\.path: .* outside the build/,
    ],
    ['disk.path /dev/zero', (d) => (d.disk!.path = '/dev/zero'), /disk\.path: .*outside the build/],
    ['disk.buildKey.privateKey outside', (d) => (d.disk!.buildKey.privateKey = join(victim, 'secret.txt')), /disk\.buildKey\.privateKey: .* outside the build/],
    ['disk.buildKey.publicKey outside', (d) => (d.disk!.buildKey.publicKey = join(victim, 'secret.txt')), /disk\.buildKey\.publicKey: .* outside the build/],
  ];
  for (const [name, tamper, message] of tampered)
    it(`guest-customize refuses ${name} (65) before it copies or boots anything`, () => {
      const before = snapshot();
      const r = run('guest-customize', [], installedDoc(`gc-${name.replace(/\W+/g, '-')}`, tamper));
      expect(r.code).toBe(65);
      expect(r.stderr).toMatch(message);
      expectCleanError(r.stderr, 'guest-customize');
      expect(snapshot()).toBe(before);
    });

  it('guest-customize --key FILE: a key the user named is used wherever it is', () => {
    // Past the key check the stage reads the (fake) disk: a failure about the image, not the key's place.
    const r = run('guest-customize', ['--key', join(victim, 'secret.txt')], installedDoc('gc-key-named'));
    expect(r.stderr).not.toMatch(/outside the build/);
    expect(r.stderr).toMatch(/secret\.txt: .*private key|OpenSSH .*private key/);
  });

  it('icicle-gen --live --image refuses the recorded disk and build key outside the build (65)', () => {
    for (const [name, tamper, message] of [
      ['disk.path', (d: BuildDocument) => (d.disk!.path = join(victim, 'secret.txt')), /disk\.path: .* outside the build/],
      [
        'disk.buildKey.privateKey',
        (d: BuildDocument) => (d.disk!.buildKey.privateKey = join(victim, 'secret.txt')),
        /disk\.buildKey\.privateKey: .* outside the build/,
      ],
    ] as const) {
      const before = snapshot();
      const r = run('icicle-gen', ['--live', '--image'], installedDoc(`ig-${name.replace(/\W+/g, '-')}`, tamper));
      expect(r.code, name).toBe(65);
      expect(r.stderr, name).toMatch(message);
      expectCleanError(r.stderr, 'icicle-gen');
      expect(snapshot()).toBe(before);
    }
  });

  it('icicle-gen --live --host refuses a recorded build key outside the build before it connects (65)', () => {
    const r = run(
      'icicle-gen',
      ['--live', '--host', '127.0.0.1', '--port', '1'],
      installedDoc('ig-host-key', (d) => (d.disk!.buildKey.privateKey = join(victim, 'secret.txt'))),
    );
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(/disk\.buildKey\.privateKey: .* outside the build/);
  });

  it('guest-install refuses answer.buildKey outside the build: it would be copied into the JEOS cache (65)', () => {
    const { doc: text } = isoFetchDoc('gi-key', (d) => {
      d.answer!.buildKey.privateKey = join(victim, 'secret.txt');
      d.media = {
        original: { url: `file://${fixtureIso}`, kind: 'iso', path: fixtureIso, sha256: '0'.repeat(64), bytes: 1, verified: null, fromCache: false },
        boot: { method: 'iso', iso: fixtureIso, sha256: '0'.repeat(64) },
      } as BuildDocument['media'];
      d.stages.push({ tool: 'iso-fetch', version: '0.1.0', startedAt: '2026-01-01T00:00:00.000Z', seconds: 1, produced: ['media'] });
    });
    const before = snapshot();
    const r = run('guest-install', [], text);
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(/answer\.buildKey\.privateKey: .* outside the build/);
    expect(snapshot()).toBe(before);
  });
});

describe('guest-customize: a file:// content that never ends (item 6)', () => {
  /** An installed build whose TDL copies `url` into the guest, with a real build key (it is loaded first). */
  const contentDoc = (name: string, url: string) =>
    installedDoc(name, (d, workdir) => {
      rmSync(join(workdir, 'id_ed25519'));
      rmSync(join(workdir, 'id_ed25519.pub'));
      spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(workdir, 'id_ed25519')]);
      d.template!.files = [{ name: '/etc/from-host', type: 'url', content: url }];
    });

  it('a FIFO without a writer ends on SIGTERM with 143 at once', async () => {
    const fifo = join(work, 'content.fifo');
    spawnSync('mkfifo', [fifo]);
    const child = spawn(process.execPath, [bin('guest-customize')], { env: env(), stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.resume();
    child.stdin.end(contentDoc('gc-fifo', `file://${fifo}`));
    await new Promise((r) => setTimeout(r, 1500));
    expect(child.exitCode, stderr).toBeNull();
    const signalled = Date.now();
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.on('exit', (c) => {
        clearTimeout(timer);
        r(c);
      });
    });
    expect(code, stderr).toBe(143);
    expect(Date.now() - signalled).toBeLessThan(2000);
  });

  it('/dev/zero is refused by size (65), not read until memory runs out', () => {
    const started = Date.now();
    const r = run('guest-customize', [], contentDoc('gc-zero', 'file:///dev/zero'));
    expect(r.code, r.stderr).toBe(65);
    expect(r.stderr).toMatch(/file \/etc\/from-host: file:\/\/\/dev\/zero: larger than/);
    expectCleanError(r.stderr, 'guest-customize');
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});
