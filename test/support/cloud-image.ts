/**
 * The shared installed Debian 12 image (installed-image.ts) with cloud-init added, for the VM
 * tests that boot an image as a cloud does. Built once, content-addressed, unsealed (so a test
 * can still log in with the build key and seal it for the cloud it tests).
 *
 * The cheap way, measured (see tools/image-verify/README.md): the host (Debian 12 as the guest)
 * resolves exactly the packages cloud-init needs that the image lacks — apt with the IMAGE's dpkg
 * status, --no-install-recommends, the host's own apt sources and lists — and downloads them
 * natively; guest-customize uploads those .deb files and installs them with one `apt-get install`
 * of the local files (no sources, no lists: apt only orders the unpacks). The guest never runs
 * apt-get update (parsing the archive's index under TCG is what made adding a package from a
 * mirror take most of an hour) and never touches the network.
 *
 * Key: the installed image's JEOS key, this recipe's version, and the resolved .deb set (names,
 * versions, SHA256). Cache: `<test cache>/cloud-image/<key>/` with image.qcow2, document.json
 * (guest-customize's output) and meta.json.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { BuildDocument } from '@ozkit/build-document';
import { INSTALLED_IMAGE_ROOTPW_XML, installedDebianImage, installedDiskIn, runStageCli, testCacheRoot, type InstalledImage } from './installed-image.js';

/** Bump when what is built changes in a way the key does not see. */
const RECIPE_VERSION = 2;
export const CLOUD_PACKAGES = ['cloud-init', 'cloud-guest-utils'];
const GUEST_DEB_DIR = '/var/tmp/ozkit-cloud-debs';
const GUEST_NO_LISTS = '/var/tmp/ozkit-no-apt-lists';
/**
 * apt, not one `dpkg -i` of the lot: dpkg unpacks in argument order and refuses python3-minimal,
 * whose Pre-Depends (python3.11-minimal) is unpacked but not yet configured ("pre-dependency
 * problem", exit 1). apt orders the unpacks; no sources and an empty lists directory keep it from
 * reading (or needing) the archive's index.
 */
const GUEST_APT_OPTIONS = [
  '-o Dir::Etc::SourceList=/dev/null',
  `-o Dir::Etc::SourceParts=${GUEST_NO_LISTS}`,
  `-o Dir::State::Lists=${GUEST_NO_LISTS}`,
  '-o Dpkg::Options::=--force-unsafe-io',
  '-o Dpkg::Options::=--force-confdef',
  '-o Dpkg::Options::=--force-confold',
].join(' ');

export interface CloudImage {
  /** Unsealed qcow2 with cloud-init installed. Read-only: guest-customize and image-verify copy or overlay it. */
  disk: string;
  virtualSize: number;
  /** The build key (the installed image's) that logs in as root until the image is sealed. */
  privateKey: string;
  publicKey: string;
  /** guest-customize's document for it (customize.cloud says cloud-init and the default user). */
  document: BuildDocument;
  key: string;
  /** The .deb files dpkg installed. */
  debs: string[];
  /** True when this call built it; seconds it took (guest-customize only, and all). */
  built: boolean;
  seconds?: { customize: number; total: number };
  installed: InstalledImage;
}

let pending: Promise<CloudImage> | undefined;

export function cloudDebianImage(): Promise<CloudImage> {
  pending ??= buildCloudImage().catch((error: unknown) => {
    pending = undefined;
    throw error;
  });
  return pending;
}

/**
 * The plain template a test seals the cloud image with: one file and the seal step. The installed
 * test image has no /etc/default/locale (its installer sets none), so cloud-init's locale module
 * falls back to en_US.UTF-8, which no one generated, and update-locale fails the first boot
 * (image-verify's cloud-init check found it); Debian's own cloud images ship LANG=C.UTF-8.
 */
export function sealTemplate(name: string): string {
  return `<template>
  <name>${name}</name>
  <description>ozkit test: the cloud image sealed</description>
  <os><name>Debian</name><version>12</version><arch>x86_64</arch>
    <rootpw>${INSTALLED_IMAGE_ROOTPW_XML}</rootpw>
    <install type='iso'><iso>file:///replaced/by/the/disk/section.iso</iso></install>
  </os>
  <files>
    <file name='/etc/default/locale'>LANG=C.UTF-8</file>
  </files>
</template>
`;
}

/**
 * A document for guest-customize on `disk`: tdl-validate's, with the disk section guest-install
 * would add — an overlay of `disk` and a copy of the key pair inside the workdir, since the stage
 * takes disks and keys only from inside the build.
 */
export async function documentForDisk(options: {
  tdl: string;
  workdir: string;
  disk: string;
  virtualSize: number;
  privateKey: string;
  publicKey: string;
  env?: NodeJS.ProcessEnv;
}): Promise<BuildDocument> {
  mkdirSync(options.workdir, { recursive: true });
  const tdlPath = join(options.workdir, 'template.tdl');
  writeFileSync(tdlPath, options.tdl);
  const r = await runStageCli('tdl-validate', ['--workdir', options.workdir, tdlPath], '', options.env ?? process.env);
  if (r.code !== 0) throw new Error(`tdl-validate exited with ${r.code}:\n${r.stderr}`);
  const doc = JSON.parse(r.stdout) as BuildDocument;
  const { path, privateKey, publicKey } = await installedDiskIn(options, options.workdir);
  doc.disk = {
    path,
    format: 'qcow2',
    virtualSize: options.virtualSize,
    bus: 'virtio',
    accel: 'tcg',
    installSeconds: 0,
    consoleLog: '',
    markerSeen: true,
    buildKey: { privateKey, publicKey },
  } as BuildDocument['disk'];
  return doc;
}

/** A file of the image's root filesystem, read offline (qemu-img to raw, debugfs at the first partition). */
function readImageFile(qcow2: string, path: string, scratch: string): string {
  const raw = join(scratch, 'image.raw');
  execFileSync('qemu-img', ['convert', '-U', '-f', 'qcow2', '-O', 'raw', qcow2, raw]);
  try {
    const mbr = Buffer.alloc(512);
    const fd = openSync(raw, 'r');
    readSync(fd, mbr, 0, 512, 0);
    closeSync(fd);
    const startLba = mbr.readUInt32LE(446 + 8);
    return execFileSync('debugfs', ['-R', `cat ${path}`, `${raw}?offset=${startLba * 512}`], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      maxBuffer: 64 << 20,
    });
  } finally {
    rmSync(raw, { force: true });
  }
}

const aptOptions = (state: string, archives: string) => [
  '-o',
  `Dir::State::status=${join(state, 'status')}`,
  '-o',
  `Dir::State::extended_states=${join(state, 'extended_states')}`,
  '-o',
  `Dir::Cache::archives=${archives}`,
  '-o',
  'Debug::NoLocking=1',
  '-o',
  'APT::Install-Recommends=false',
  '-o',
  'APT::Install-Suggests=false',
];

/** The packages the image lacks for CLOUD_PACKAGES, as `apt-get --print-uris` names them. */
function resolveDebs(state: string, scratchRoot: string): { file: string; size: number; hash: string }[] {
  // An empty archives directory: --print-uris leaves out what is already downloaded there.
  const archives = mkdtempSync(join(scratchRoot, 'resolve-'));
  mkdirSync(join(archives, 'partial'));
  let out: string;
  try {
    out = execFileSync('apt-get', ['install', '-qq', '--print-uris', '-y', ...aptOptions(state, archives), ...CLOUD_PACKAGES], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    throw new Error(
      `cloud-image: the host's apt cannot resolve ${CLOUD_PACKAGES.join(' ')} for the image (run apt-get update on the host?): ${String((error as { stderr?: string }).stderr ?? error)}`,
    );
  } finally {
    rmSync(archives, { recursive: true, force: true });
  }
  return (
    out
      .split('\n')
      .map((l) => /^'[^']+' (\S+) (\d+)(?: (\S+))?/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      // The hash apt prints (MD5Sum, SHA256 or none) names the exact file along with name_version_arch and size.
      .map((m) => ({ file: m[1], size: Number(m[2]), hash: m[3] ?? '' }))
      .sort((a, b) => a.file.localeCompare(b.file))
  );
}

async function buildCloudImage(): Promise<CloudImage> {
  const started = Date.now();
  const installed = await installedDebianImage();
  const root = join(testCacheRoot(), 'cloud-image');
  const state = join(root, `dpkg-state-${installed.key.slice(0, 16)}`);
  const archives = join(root, 'debs');
  mkdirSync(join(archives, 'partial'), { recursive: true });
  if (!existsSync(join(state, 'status'))) {
    const scratch = mkdtempSync(join(root, 'scratch-'));
    try {
      const status = readImageFile(installed.disk, '/var/lib/dpkg/status', scratch);
      if (!/^Package: /m.test(status)) throw new Error(`cloud-image: no dpkg status read from ${installed.disk}`);
      mkdirSync(scratch + '/state', { recursive: true });
      writeFileSync(join(scratch, 'state', 'status'), status);
      writeFileSync(join(scratch, 'state', 'extended_states'), '');
      rmSync(state, { recursive: true, force: true });
      renameSync(join(scratch, 'state'), state);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }
  const debs = resolveDebs(state, root);
  if (!debs.some((d) => d.file.startsWith('cloud-init_')))
    throw new Error(`cloud-image: apt did not resolve cloud-init (got ${debs.map((d) => d.file).join(' ') || 'nothing'})`);
  const key = createHash('sha256')
    .update(JSON.stringify({ installed: installed.key, recipe: RECIPE_VERSION, debs }))
    .digest('hex');
  const entry = join(root, key);
  const result = (document: BuildDocument, built: boolean, seconds?: CloudImage['seconds']): CloudImage => ({
    disk: join(entry, 'image.qcow2'),
    virtualSize: installed.virtualSize,
    privateKey: installed.privateKey,
    publicKey: installed.publicKey,
    document,
    key,
    debs: debs.map((d) => d.file),
    built,
    ...(seconds ? { seconds } : {}),
    installed,
  });
  if (existsSync(join(entry, 'meta.json'))) return result(JSON.parse(readFileSync(join(entry, 'document.json'), 'utf8')) as BuildDocument, false);

  // Build directories of killed test processes.
  for (const name of readdirSync(root)) {
    const path = join(root, name);
    if (name.startsWith('build-') && Date.now() - statSync(path).mtimeMs > 3 * 3600_000) rmSync(path, { recursive: true, force: true });
    // Evidence of failed builds, kept for a day.
    if (name.startsWith('failed-') && Date.now() - statSync(path).mtimeMs > 24 * 3600_000) rmSync(path, { recursive: true, force: true });
  }
  execFileSync('apt-get', ['install', '-qq', '--download-only', '-y', ...aptOptions(state, archives), ...CLOUD_PACKAGES], { stdio: ['ignore', 'ignore', 'pipe'] });
  const build = mkdtempSync(join(root, 'build-'));
  try {
    const files = debs.map((d) => `    <file name='${GUEST_DEB_DIR}/${d.file}' type='url'>file://${join(archives, d.file)}</file>`).join('\n');
    const tdl = `<template>
  <name>ozkit-test-debian-12-cloud</name>
  <description>The installed Debian 12 test image with cloud-init (unsealed)</description>
  <os><name>Debian</name><version>12</version><arch>x86_64</arch>
    <rootpw>${INSTALLED_IMAGE_ROOTPW_XML}</rootpw>
    <install type='iso'><iso>file:///replaced/by/the/disk/section.iso</iso></install>
  </os>
  <files>
${files}
  </files>
  <commands>
    <command name='cloud-init'>set -e; mkdir -p ${GUEST_NO_LISTS}/partial; DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends ${GUEST_APT_OPTIONS} ${GUEST_DEB_DIR}/*.deb; rm -rf ${GUEST_DEB_DIR} ${GUEST_NO_LISTS}; cloud-init --version</command>
  </commands>
</template>
`;
    const doc = await documentForDisk({
      tdl,
      workdir: join(build, 'work'),
      disk: installed.disk,
      virtualSize: installed.virtualSize,
      privateKey: installed.privateKey,
      publicKey: installed.publicKey,
    });
    const image = join(build, 'image.qcow2');
    const t = Date.now();
    const env = {
      ...process.env,
      OZKIT_ACCEL: process.env.OZKIT_ACCEL ?? 'auto',
      OZKIT_CPUS: process.env.OZKIT_CPUS ?? '2',
      OZKIT_CACHE_DIR: join(root, 'ozkit-cache'),
    };
    const r = await runStageCli('guest-customize', ['--no-seal', '--output', image, '--step-timeout', '3600', '--boot-timeout', '900'], JSON.stringify(doc), env);
    if (r.code !== 0) {
      // The evidence outlives the build: the guest's full command output (customize.log), the console and the documents.
      const kept = join(root, `failed-${new Date().toISOString().replace(/[:.]/g, '-')}`);
      writeFileSync(join(build, 'guest-customize.stderr'), r.stderr);
      writeFileSync(join(build, 'guest-customize.stdout.json'), r.stdout);
      rmSync(image, { force: true });
      renameSync(build, kept);
      const log = join(kept, 'work', 'customize.log');
      const logTail = existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-60).join('\n') : '(no customize.log)';
      throw new Error(
        `guest-customize (cloud image) exited with ${r.code}; evidence kept in ${kept}\n${r.stderr.split('\n').slice(-40).join('\n')}\n--- ${log} (end):\n${logTail}`,
      );
    }
    const customizeSeconds = (Date.now() - t) / 1000;
    const customized = JSON.parse(r.stdout) as BuildDocument;
    if (!customized.customize?.cloud?.cloudInit) throw new Error('cloud-image: guest-customize finished but reports no cloud-init in the image');
    mkdirSync(entry, { recursive: true });
    renameSync(image, join(entry, 'image.qcow2'));
    customized.customize.image.path = join(entry, 'image.qcow2');
    writeFileSync(join(entry, 'document.json'), JSON.stringify(customized));
    const seconds = { customize: Math.round(customizeSeconds), total: Math.round((Date.now() - started) / 1000) };
    writeFileSync(
      join(entry, 'meta.json'),
      JSON.stringify({ key, createdAt: new Date().toISOString(), installed: installed.key, debs: debs.map((d) => d.file), seconds }, null, 2),
    );
    return result(customized, true, seconds);
  } finally {
    if (existsSync(build)) rmSync(build, { recursive: true, force: true });
  }
}

export const cloudImageDebNames = (image: CloudImage) => image.debs.map((f) => basename(f).split('_')[0]);
