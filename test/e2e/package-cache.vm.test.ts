/**
 * [cache] packages: one guest-customize run on the shared installed Debian 12 image (no new
 * install) with ozkit's package cache (a real apt-cacher-ng on 127.0.0.1, reached by the guest at
 * 10.0.2.2). The package transaction fetches a package through it from the archive; a command then
 * empties apt's own cache and downloads the same package again, as a second build would, and
 * apt-cacher-ng's transfer log shows that one came from its cache. (Two whole runs cost twice the
 * boot, 7 min here at load 5.) During customization apt has the proxy and dpkg force-unsafe-io; the
 * sealed image has neither, and the cache is stopped after the run.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { offlineRoot } from '../support/offline-root.js';
import { installedDebianImage, installedDiskIn, installedImageTdl, type InstalledImage } from '../support/installed-image.js';

const repoRoot = join(import.meta.dirname, '..', '..');
const bin = (tool: string) => join(repoRoot, 'tools', tool, 'bin', `${tool}.js`);
const work = mkdtempSync(join(tmpdir(), 'ozkit-package-cache-vm-'));
const cacheDir = join(work, 'cache');
let image: InstalledImage;
let port: number;

beforeAll(async () => {
  image = await installedDebianImage();
  port = await freeLowPort();
}, 45 * 60_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** apt-cacher-ng 3.7.4 cannot bind above 32767: a free port of 20000–32000. */
async function freeLowPort(): Promise<number> {
  for (;;) {
    const candidate = 20000 + Math.floor(Math.random() * 12000);
    const free = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(candidate, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (free) return candidate;
  }
}

function run(tool: string, args: string[], stdin: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin(tool), ...args], { stdio: ['pipe', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

const TDL = installedImageTdl(`  <packages><package name='hello'/></packages>
  <commands>
    <command name='build-settings'>{ cat /etc/apt/apt.conf.d/00ozkit-build-proxy; cat /etc/dpkg/dpkg.cfg.d/ozkit-unsafe-io; } > /root/build-settings.txt</command>
    <command name='download-again'>apt-get clean; apt-get install -q -y --reinstall --download-only hello</command>
  </commands>`);

/** One guest-customize run with the package cache on, in its own workdir. */
async function customizeOnce(name: string): Promise<{ seconds: number; doc: Record<string, any>; stderr: string }> {
  const env = {
    ...process.env,
    OZKIT_CACHE_DIR: cacheDir,
    OZKIT_CACHE_PACKAGES: 'yes',
    OZKIT_PACKAGE_CACHE_PORT: String(port),
    OZKIT_CPUS: '2',
    OZKIT_MEMORY: '1024',
  };
  const tdlPath = join(work, `${name}.tdl`);
  writeFileSync(tdlPath, TDL);
  const validated = await run('tdl-validate', [tdlPath, '--workdir', join(work, name)], '', env);
  expect(validated.code, validated.stderr).toBe(0);
  const doc = JSON.parse(validated.stdout);
  // The disk and key inside the build, as guest-install hands them on (the stage refuses others).
  const installed = await installedDiskIn(image, join(work, name));
  doc.disk = { ...image.document.disk, path: installed.path, format: 'qcow2', buildKey: { privateKey: installed.privateKey, publicKey: installed.publicKey } };
  const started = Date.now();
  const result = await run('guest-customize', [], JSON.stringify(doc), env);
  const seconds = (Date.now() - started) / 1000;
  expect(result.code, result.stderr.split('\n').slice(-40).join('\n')).toBe(0);
  console.log(`guest-customize ${name}: ${seconds.toFixed(0)} s`);
  return { seconds, doc: JSON.parse(result.stdout), stderr: result.stderr };
}

const transfers = (direction: 'I' | 'O') =>
  readFileSync(join(cacheDir, 'package-cache', 'log', 'apt-cacher.log'), 'utf8')
    .split('\n')
    .filter((l) => l.split('|')[1] === direction && /\/hello_[^/]*\.deb$/.test(l));

const cacheRunning = () => {
  const pidFile = join(cacheDir, 'package-cache', 'apt-cacher-ng.pid');
  if (!existsSync(pidFile)) return false;
  try {
    process.kill(Number(readFileSync(pidFile, 'utf8')), 0);
    return true;
  } catch {
    return false;
  }
};

describe('[cache] packages (guest-customize, QEMU)', () => {
  it(
    'the guest downloads through the cache, a second download comes from it, and the sealed image has no proxy and no force-unsafe-io',
    async () => {
      const { doc, stderr } = await customizeOnce('cached');
      expect(stderr).toMatch(new RegExp(`package cache: apt-cacher-ng on 127\\.0\\.0\\.1:${port} \\(started\\), the guest's proxy http://10\\.0\\.2\\.2:${port}/`));
      // Fetched from the archive once, sent to the guest twice.
      expect(transfers('I')).toHaveLength(1);
      expect(transfers('O')).toHaveLength(2);
      expect(doc.customize.inventory.packages.find((p: { name: string }) => p.name === 'hello')).toMatchObject({ arch: 'amd64' });
      expect(cacheRunning()).toBe(false);
      expect(
        execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
          .split('\n')
          .filter((l) => l.includes(work)),
      ).toEqual([]);

      const seal = doc.customize.seal.operations as { op: string; done: boolean; detail?: string }[];
      expect(seal.find((o) => o.op === 'build-proxy')).toEqual({ op: 'build-proxy', done: true, detail: 'removed from 1 file(s)' });
      expect(seal.find((o) => o.op === 'dpkg-unsafe-io')).toEqual({ op: 'dpkg-unsafe-io', done: true, detail: 'removed /etc/dpkg/dpkg.cfg.d/ozkit-unsafe-io' });
      const root = offlineRoot(doc.customize.image.path, work);
      expect(root.cat('/root/build-settings.txt')).toBe(`Acquire::http::Proxy "http://10.0.2.2:${port}/";\nforce-unsafe-io\n`);
      expect(root.ls('/etc/apt/apt.conf.d')).not.toMatch(/ozkit/);
      expect(root.ls('/etc/dpkg/dpkg.cfg.d')).not.toMatch(/ozkit/);
      for (const file of root.ls('/etc/apt/apt.conf.d').match(/\S+$/gm) ?? [])
        if (file !== '.' && file !== '..') expect(root.cat(`/etc/apt/apt.conf.d/${file}`), file).not.toMatch(/10\.0\.2\.2|[Pp]roxy/);
      expect(root.cat('/etc/apt/apt.conf')).not.toMatch(/10\.0\.2\.2/);
    },
    15 * 60_000,
  );
});
