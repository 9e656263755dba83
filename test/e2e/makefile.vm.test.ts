/**
 * examples/Makefile driven by make: two images at once with `make -k -j2`, one of them stopped by
 * an unreachable repository in its customization; that image's last good stage stays, no target
 * for the failed one, and once the repository answers `make` goes on from exactly that stage
 * while the finished image is left alone; then up-to-dateness and "a touched TDL rebuilds from
 * the top" checked with `make -q`/`make -n`, which start no VM.
 *
 * VM time is kept small: both installs are JEOS cache hits on the shared installed image (same
 * name, OS, disk and root password, default preseed: the same answer-file key), the
 * customization is one command, and everything after the resume is a dry run.
 */
import { spawn, execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort } from '@ozkit/qemu';
import { installedDebianImage, installedImageTdl as tdl, testCacheRoot } from '../support/installed-image.js';
import { testInstallerIso } from '../support/test-installer.js';

const repoRoot = join(import.meta.dirname, '..', '..');
const work = mkdtempSync(join(tmpdir(), 'ozkit-makefile-vm-'));
const tdls = join(work, 'tdls');

const stamp = `  <commands>
    <command name='stamp'>echo made-by-make > /etc/ozkit-make</command>
  </commands>`;

interface MakeRun {
  code: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}
let env: NodeJS.ProcessEnv;

function make(args: string[]): Promise<MakeRun> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn('make', ['-f', join(repoRoot, 'examples', 'Makefile'), `SRC=${tdls}`, ...args], { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, seconds: Math.round((Date.now() - started) / 1000) }));
  });
}

/** The stage commands make ran (its echoed recipe lines), as "tool image". */
const ran = (r: MakeRun) =>
  r.stdout
    .split('\n')
    .map((l) => /^(tdl-validate|ks-render|iso-fetch|guest-install|guest-customize|image-verify|icicle-gen)\b.*?\bbuild\/(\w+)\//.exec(l))
    .filter((m) => m !== null)
    .map((m) => `${m[1]} ${m[2]}`);

const doc = (path: string) => JSON.parse(readFileSync(join(work, 'build', path), 'utf8'));
const qemuLeft = () =>
  execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
    .split('\n')
    .some((l) => l.includes('qemu-system') && l.includes(work));

let repoPort: number;
let repoServer: Server | undefined;

/** A flat apt repository with no packages, for the guest at 10.0.2.2 (QEMU user networking's host). */
function serveEmptyRepository(port: number): Promise<Server> {
  const packages = '';
  const release = [
    'Origin: ozkit-test',
    'Label: ozkit-test',
    `Date: ${new Date().toUTCString()}`,
    'SHA256:',
    ` ${createHash('sha256').update(packages).digest('hex')} 0 Packages`,
    '',
  ].join('\n');
  const files: Record<string, string> = { '/repo/Release': release, '/repo/Packages': packages };
  const server = createServer((req, res) => {
    // apt asks for a flat repository's files as /repo/./Packages.
    const body = files[(req.url ?? '').replace(/\/\.\//g, '/')];
    res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'text/plain' });
    res.end(body ?? 'not found\n');
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

beforeAll(async () => {
  // The shared install (a cache hit unless another test has not built it yet) and its cache.
  await installedDebianImage();
  const iso = await testInstallerIso();
  repoPort = await findFreePort();
  execFileSync('mkdir', ['-p', tdls]);
  writeFileSync(join(tdls, 'alpha.tdl'), tdl(stamp));
  // Nothing listens on repoPort yet: the repository is unreachable.
  writeFileSync(
    join(tdls, 'beta.tdl'),
    tdl(`  <repositories>
    <repository name='extras'><url>http://10.0.2.2:${repoPort}/repo ./</url></repository>
  </repositories>
${stamp}`),
  );
  env = {
    ...process.env,
    PATH: `${join(repoRoot, 'node_modules', '.bin')}:${process.env.PATH}`,
    OZKIT_CACHE_DIR: join(testCacheRoot(), 'installed-image', 'ozkit-cache'),
    OZKIT_CACHE_JEOS: 'yes',
    OZKIT_ACCEL: process.env.OZKIT_ACCEL ?? 'auto',
    // Two guests at once on two cores (shared with other VM tests): 1 vCPU each, and room to boot.
    OZKIT_CPUS: '1',
    OZKIT_TIMEOUT_BOOT: '900',
    FETCH_FLAGS: `--iso ${iso} --checksum none`,
    INSTALL_FLAGS: '--require-marker --timeout 1800 --inactivity 600',
    // These images have no cloud-init, so image-verify (its own VM tests) cannot pass them.
    VERIFY: 'no',
  };
}, 45 * 60_000);

afterAll(async () => {
  await new Promise((resolve) => (repoServer ? repoServer.close(resolve) : resolve(undefined)));
  rmSync(work, { recursive: true, force: true });
});

describe('examples/Makefile', () => {
  it('make -k -j2 builds one image while the other stops at guest-customize with no target; once the repository answers, make resumes there', async () => {
    const first = await make(['-k', '-j2']);
    console.log(`make -k -j2: ${first.seconds} s`);
    expect(first.code, first.stderr).not.toBe(0);
    // alpha: every stage's document; both installs came from the JEOS cache.
    for (const stage of ['template', 'answer', 'media', 'disk', 'image', 'icicle'])
      expect(existsSync(join(work, 'build', 'alpha', `${stage}.json`)), `alpha/${stage}.json\n${first.stderr.slice(-4000)}`).toBe(true);
    expect(doc('alpha/disk.json').disk.jeos.hit).toBe(true);
    expect(doc('beta/disk.json').disk.jeos.hit).toBe(true);
    expect(doc('alpha/image.json').customize.steps.map((s: { step: string; name: string }) => `${s.step}:${s.name}`)).toEqual(['commands:stamp']);
    expect(existsSync(join(work, 'build', 'alpha', 'icicle.xml'))).toBe(true);
    // beta: no target for the failed stage, its document beside it saying why.
    expect(existsSync(join(work, 'build', 'beta', 'image.json'))).toBe(false);
    const failed = doc('beta/image.failed.json');
    expect(failed.failure).toMatchObject({ stage: 'guest-customize', exitCode: 65 });
    expect(failed.failure.message).toMatch(/repositories \(metadata refresh\) failed/);
    expect(first.stderr).toContain(`10.0.2.2:${repoPort}`);
    expect(first.stderr).toMatch(/\[.*build\/beta\/image\.json\] Error 65/);
    expect(qemuLeft()).toBe(false);

    // The repository comes back: only beta's remaining stages run.
    repoServer = await serveEmptyRepository(repoPort);
    const second = await make(['-j2']);
    console.log(`make -j2 (resume): ${second.seconds} s`);
    expect(second.code, second.stderr.slice(-4000)).toBe(0);
    expect(ran(second)).toEqual(['guest-customize beta', 'icicle-gen beta']);
    expect(doc('beta/image.json').customize.steps.map((s: { step: string; name: string }) => `${s.step}:${s.name}`)).toEqual([
      'repositories:extras',
      'repositories:refresh',
      'commands:stamp',
    ]);
    expect(existsSync(join(work, 'build', 'beta', 'image.failed.json'))).toBe(false);
    expect(qemuLeft()).toBe(false);
  });

  it('an up-to-date image is not rebuilt; a touched TDL rebuilds from the top; V=1 adds -v; make clean', async () => {
    const upToDate = await make(['-q']);
    expect(upToDate.code, upToDate.stdout + upToDate.stderr).toBe(0);
    expect(ran(await make(['-n']))).toEqual([]);

    const later = new Date(Date.now() + 60_000);
    utimesSync(join(tdls, 'alpha.tdl'), later, later);
    expect((await make(['-q'])).code).toBe(1);
    const dry = await make(['-n', 'V=1']);
    expect(ran(dry)).toEqual(['tdl-validate alpha', 'ks-render alpha', 'iso-fetch alpha', 'guest-install alpha', 'guest-customize alpha', 'icicle-gen alpha']);
    expect(dry.stdout).toMatch(/^tdl-validate -v .*alpha\.tdl$/m);
    // With image-verify on (the default when it is installed) it runs between customization and the manifest.
    expect(ran(await make(['-n', 'VERIFY=yes']))).toEqual([
      'tdl-validate alpha',
      'ks-render alpha',
      'iso-fetch alpha',
      'guest-install alpha',
      'guest-customize alpha',
      'image-verify alpha',
      'icicle-gen alpha',
    ]);

    expect((await make(['clean'])).code).toBe(0);
    expect(existsSync(join(work, 'build'))).toBe(false);
  });
});
