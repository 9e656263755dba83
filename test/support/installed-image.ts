/**
 * One installed Debian 12 disk shared by every VM test that needs one: the real pipeline
 * (tdl-validate | ks-render | iso-fetch | guest-install) on the ozkit test installer, through
 * the committed CLIs, with guest-install's JEOS cache doing the content addressing. The key is
 * what ozkit's own JEOS key is made of (installer ISO sha256, the answer file without per-build
 * parts, disk size/format, guest-install's version), so a change to any of them installs again
 * and an unchanged one costs ~5 s (three quick stages and a cache hit).
 *
 * Cache: `${OZKIT_TEST_CACHE:-${XDG_CACHE_HOME:-~/.cache}/ozkit-test}/installed-image/` (its own
 * ozkit cache directory, so a user's ~/.cache/ozkit is never touched). A cold install takes
 * ~5–6 minutes under TCG.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuildDocument } from '@ozkit/build-document';
import { createDisk } from '@ozkit/qemu';
import { testInstallerIso, testMirror } from './test-installer.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * The root password of the installed image (a test image, never a real one). Hostile on purpose:
 * quotes, command substitution, XML and shell metacharacters, so the one install every VM test
 * shares also proves that ks-render's default preseed carries such a password through a complete
 * install (ks-render's own VM test no longer installs that preseed a second time).
 */
export const INSTALLED_IMAGE_ROOT_PASSWORD = 'ozkit-test "root" $(false) `id` \'pw\' & <x>;|\\';

/** Text for a TDL element: XML's five special characters escaped. */
export function xmlText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** The installed image's root password as a TDL's <rootpw> holds it. */
export const INSTALLED_IMAGE_ROOTPW_XML = xmlText(INSTALLED_IMAGE_ROOT_PASSWORD);

const TDL = `<template>
  <name>ozkit-test-debian-12</name>
  <description>The installed Debian 12 image ozkit's VM tests share</description>
  <os>
    <name>Debian</name>
    <version>12</version>
    <arch>x86_64</arch>
    <rootpw>${INSTALLED_IMAGE_ROOTPW_XML}</rootpw>
    <install type='iso'>
      <iso>file:///replaced/by/iso-fetch--iso.iso</iso>
    </install>
  </os>
  <disk>
    <size>4G</size>
  </disk>
</template>
`;

/**
 * The shared image's template with `customization` (repositories, packages, files, commands) added:
 * a TDL whose default answer file has the shared install's key, so guest-install reuses it.
 */
export const installedImageTdl = (customization: string) => TDL.replace('</template>', `${customization}\n</template>`);

export interface InstalledImage {
  /** The installed qcow2 in the cache. Treat it as read-only: boot it with snapshot=on or through overlayOf(). */
  disk: string;
  format: 'qcow2';
  virtualSize: number;
  /** The build key pair the image accepts for root (private key mode 0600). */
  privateKey: string;
  publicKey: string;
  rootPassword: string;
  /** The install's serial console log. */
  consoleLog: string;
  /** The JEOS key the image is stored under. */
  key: string;
  /** True when this call ran the installer (false: a cached install was reused). */
  installed: boolean;
  /** The build document guest-install wrote (its disk.path is a throw-away overlay: use `disk`). */
  document: BuildDocument;
}

export function testCacheRoot(): string {
  if (process.env.OZKIT_TEST_CACHE) return process.env.OZKIT_TEST_CACHE;
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'ozkit-test');
}

let pending: Promise<InstalledImage> | undefined;

/** The shared installed image (built at most once per process; cached across processes). */
export function installedDebianImage(): Promise<InstalledImage> {
  pending ??= buildInstalledImage().catch((error: unknown) => {
    pending = undefined;
    throw error;
  });
  return pending;
}

/** A fresh qcow2 overlay on the installed image at `path`, for a test that writes to the disk. */
export async function overlayOf(image: Pick<InstalledImage, 'disk' | 'virtualSize'>, path: string): Promise<string> {
  rmSync(path, { force: true });
  await createDisk(path, 'qcow2', image.virtualSize, { backing: { path: image.disk, format: 'qcow2' } });
  return path;
}

/**
 * The installed image as guest-install hands it on after a JEOS cache hit: an overlay and a copy
 * of the build key pair in `workdir` (guest-customize and icicle-gen take disks and keys only
 * from inside the build).
 */
export async function installedDiskIn(
  image: Pick<InstalledImage, 'disk' | 'virtualSize' | 'privateKey' | 'publicKey'>,
  workdir: string,
): Promise<{ path: string; privateKey: string; publicKey: string }> {
  mkdirSync(workdir, { recursive: true });
  const path = await overlayOf(image, join(workdir, 'installed.qcow2'));
  const privateKey = join(workdir, 'jeos-build-key');
  copyFileSync(image.privateKey, privateKey);
  chmodSync(privateKey, 0o600);
  copyFileSync(image.publicKey, `${privateKey}.pub`);
  return { path, privateKey, publicKey: `${privateKey}.pub` };
}

interface ToolRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one stage's committed CLI with `input` on stdin. */
export function runStageCli(tool: string, args: string[], input: string, env: NodeJS.ProcessEnv): Promise<ToolRun> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'tools', tool, 'bin', `${tool}.js`), ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolveRun({ code, stdout, stderr }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

/** tdl-validate | ks-render | iso-fetch --iso ISO | guest-install, stage by stage, failing with the stage's stderr. */
export async function runInstallPipeline(options: {
  tdlPath: string;
  workdir: string;
  iso: string;
  env: NodeJS.ProcessEnv;
  guestInstallArgs?: string[];
}): Promise<{ fetched: string; installed: BuildDocument; stderr: string }> {
  let doc = '';
  let stderr = '';
  const stages: [string, string[]][] = [
    ['tdl-validate', ['--workdir', options.workdir, options.tdlPath]],
    ['ks-render', []],
    ['iso-fetch', ['--iso', options.iso, '--checksum', 'none']],
  ];
  // ks-render's preseed names the archive the test installer was built from (OZKIT_TEST_MIRROR, …).
  const env = { ...options.env, OZKIT_DEBIAN_MIRROR: testMirror().url };
  for (const [tool, args] of stages) {
    const r = await runStageCli(tool, args, doc, env);
    stderr += r.stderr;
    if (r.code !== 0) throw new Error(`${tool} exited with ${r.code}:\n${r.stderr}`);
    doc = r.stdout;
  }
  const fetched = doc;
  const r = await runStageCli('guest-install', options.guestInstallArgs ?? [], fetched, options.env);
  stderr += r.stderr;
  if (r.code !== 0) throw new Error(`guest-install exited with ${r.code}:\n${r.stderr.split('\n').slice(-60).join('\n')}`);
  return { fetched, installed: JSON.parse(r.stdout) as BuildDocument, stderr };
}

/**
 * The shared image's TDL file in the test cache, named by its content: test runs of different
 * versions of this file (other worktrees) share the cache and must not rewrite each other's
 * template while a stage reads it (image-verify reads the root password from it again).
 */
export function installedImageTdlPath(): string {
  const root = join(testCacheRoot(), 'installed-image');
  mkdirSync(root, { recursive: true });
  const path = join(root, `ozkit-test-debian-12-${createHash('sha256').update(TDL).digest('hex').slice(0, 12)}.tdl`);
  if (!existsSync(path) || readFileSync(path, 'utf8') !== TDL) {
    writeFileSync(`${path}.${process.pid}`, TDL);
    renameSync(`${path}.${process.pid}`, path);
  }
  return path;
}

async function buildInstalledImage(): Promise<InstalledImage> {
  const iso = await testInstallerIso();
  const root = join(testCacheRoot(), 'installed-image');
  mkdirSync(root, { recursive: true });
  const tdlPath = installedImageTdlPath();
  // Build directories of test processes that were killed before their clean-up ran.
  for (const name of readdirSync(root)) {
    const path = join(root, name);
    if (name.startsWith('build-') && Date.now() - statSync(path).mtimeMs > 3 * 3600_000) rmSync(path, { recursive: true, force: true });
  }
  const workdir = mkdtempSync(join(root, 'build-'));
  try {
    const env = {
      ...process.env,
      OZKIT_CACHE_DIR: join(root, 'ozkit-cache'),
      OZKIT_CACHE_JEOS: 'yes',
      OZKIT_ACCEL: process.env.OZKIT_ACCEL ?? 'auto',
      OZKIT_CPUS: process.env.OZKIT_CPUS ?? '2',
    };
    const run = () => runInstallPipeline({ tdlPath, workdir, iso, env, guestInstallArgs: ['--require-marker', '--timeout', '1800', '--inactivity', '600'] });
    let installed: BuildDocument;
    try {
      ({ installed } = await run());
    } catch (error) {
      // Linux's early timer check can fail under TCG on an overloaded host ("IO-APIC + timer
      // doesn't work!"): a property of the host's load, not of the image. One more try.
      if (!/IO-APIC \+ timer doesn't work/.test(String((error as Error).message))) throw error;
      process.stderr.write('installed-image: the installer kernel hit the TCG timer-check panic; trying once more\n');
      ({ installed } = await run());
    }
    const disk = installed.disk!;
    const jeos = disk.jeos!;
    const entry = dirname(jeos.path);
    return {
      disk: jeos.path,
      format: 'qcow2',
      virtualSize: disk.virtualSize,
      privateKey: join(entry, 'build-key'),
      publicKey: join(entry, 'build-key.pub'),
      rootPassword: INSTALLED_IMAGE_ROOT_PASSWORD,
      consoleLog: join(entry, 'install-console.log'),
      key: jeos.key,
      installed: !jeos.hit,
      document: installed,
    };
  } finally {
    rmSync(workdir, { recursive: true, force: true });
  }
}
