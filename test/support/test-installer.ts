/**
 * The ozkit test installer (test/installer, a busybox initrd that installs Debian 12 from a
 * preseed; NOT debian-installer) for tests: build-or-find the ISO once per process, a preseed
 * matching the contract in preseed-subset.md, and the two ways a preseed reaches the installer
 * (a file on a remastered ISO, or /preseed.cfg appended to the initrd).
 */
import { spawn } from 'node:child_process';
import { expect } from 'vitest';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { injectIntoInitrd } from '@ozkit/initrd';
import { testArchiveMirror } from '../installer/archive-mirror.mjs';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const TEST_INSTALLER_SCRIPT = join(repoRoot, 'test/installer/build.sh');

let building: Promise<string> | undefined;

/** The Debian archive tests' guests install from, as its URL and as d-i's host and directory. */
export interface TestMirror {
  url: string;
  hostname: string;
  directory: string;
  security?: string;
}

/**
 * The Debian archive the test installer was built from: OZKIT_TEST_MIRROR, else OZKIT_DEBIAN_MIRROR /
 * [ozkit] debian_mirror, else the host's apt sources (test/installer/archive-mirror.mjs). Throws
 * the same one-line error as the installer build when there is none.
 */
export function testMirror(): TestMirror {
  const mirror = testArchiveMirror() as { url: string; security?: string };
  const url = new URL(mirror.url);
  return { url: mirror.url, hostname: url.host, directory: url.pathname.replace(/\/+$/, '') || '/', ...(mirror.security ? { security: mirror.security } : {}) };
}

/**
 * The test installer ISO's absolute path: runs test/installer/build.sh (cached; a few minutes
 * cold, as root) at most once per process.
 */
export function testInstallerIso(): Promise<string> {
  building ??= runBuildScript().catch((error: unknown) => {
    building = undefined;
    throw error;
  });
  return building;
}

function runBuildScript(): Promise<string> {
  return new Promise((resolvePath, reject) => {
    const child = spawn('bash', [TEST_INSTALLER_SCRIPT], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const last = stdout.trim().split('\n').pop() ?? '';
      if (code === 0 && last.startsWith('/') && last.endsWith('.iso')) resolvePath(last);
      else reject(new Error(`test/installer/build.sh exited with ${code}:\n${stderr.split('\n').slice(-20).join('\n')}`));
    });
  });
}

export interface TestPreseedOptions {
  hostname?: string;
  domain?: string;
  /** Plaintext root password (as Oz writes it) … */
  rootPassword?: string;
  /** … or a crypt(3) hash (passwd/root-password-crypted); wins over rootPassword. */
  rootPasswordCrypted?: string;
  /** Extra packages for pkgsel/include (openssh-server is always there). */
  packages?: string[];
  /** Target disk (partman-auto/disk); default: the installer picks the first disk. */
  disk?: string;
  timezone?: string;
  /** d-i's mirror/http/hostname and directory; default: testMirror()'s. */
  mirrorHost?: string;
  mirrorDirectory?: string;
  /** Extra commands run by preseed/late_command before the marker is written. */
  lateCommands?: string[];
  /** The completion line written to /dev/ttyS0 at the end of late_command. */
  marker?: string;
  /** debian-installer/exit/poweroff (default true); false → the installer reboots. */
  poweroff?: boolean;
}

/** The line preseed/early_command writes to the serial console once the preseed is read. */
export const PRESEED_LOADED_MARKER = 'OZKIT-PRESEED-LOADED';

/**
 * An install console of a ks-render answer file that ran to the end: the early_command's marker
 * with the build's id, ozkit's completion marker with the same id, no failure, the power-off.
 */
export function expectCompletedInstall(installConsole: string): void {
  const buildId = new RegExp(`^${PRESEED_LOADED_MARKER} ([0-9a-f]+)\\r?$`, 'm').exec(installConsole)?.[1];
  expect(buildId, installConsole.slice(-3000)).toBeDefined();
  expect(installConsole).toMatch(new RegExp(`^OZKIT-INSTALL-COMPLETE ${buildId}\\r?$`, 'm'));
  expect(installConsole).not.toContain('OZKIT-INSTALL-FAILED');
  expect(installConsole).not.toContain('INSTALLATION FAILED');
  expect(installConsole).toMatch(/reboot: Power down/);
}

/** A preseed with the keys ks-render's Debian 12 preseed uses (see the preseed contract). */
export function testPreseed(options: TestPreseedOptions = {}): string {
  const marker = options.marker ?? 'OZKIT-INSTALL-COMPLETE test';
  const packages = ['openssh-server', ...(options.packages ?? [])];
  const late = [...(options.lateCommands ?? []), `echo '${marker}' > /dev/ttyS0`];
  const mirror = options.mirrorHost === undefined || options.mirrorDirectory === undefined ? testMirror() : undefined;
  const password = options.rootPasswordCrypted
    ? [`d-i passwd/root-password-crypted password ${options.rootPasswordCrypted}`]
    : [`d-i passwd/root-password password ${options.rootPassword ?? 'ozkit'}`, `d-i passwd/root-password-again password ${options.rootPassword ?? 'ozkit'}`];
  return [
    'd-i debian-installer/locale string en_US.UTF-8',
    'd-i keyboard-configuration/xkb-keymap select us',
    'd-i netcfg/choose_interface select auto',
    `d-i netcfg/get_hostname string ${options.hostname ?? 'ozkit-test'}`,
    `d-i netcfg/get_domain string ${options.domain ?? 'localdomain'}`,
    'd-i mirror/country string manual',
    `d-i mirror/http/hostname string ${options.mirrorHost ?? mirror!.hostname}`,
    `d-i mirror/http/directory string ${options.mirrorDirectory ?? mirror!.directory}`,
    'd-i mirror/http/proxy string',
    'd-i passwd/root-login boolean true',
    'd-i passwd/make-user boolean false',
    ...password,
    'd-i clock-setup/utc boolean true',
    `d-i time/zone string ${options.timezone ?? 'UTC'}`,
    ...(options.disk ? [`d-i partman-auto/disk string ${options.disk}`] : []),
    'd-i partman-auto/method string regular',
    'd-i partman-auto/expert_recipe string root :: 1000 50 -1 ext4 $primary{ } $bootable{ } method{ format } format{ } use_filesystem{ } filesystem{ ext4 } mountpoint{ / } .',
    'd-i partman-auto/choose_recipe select root',
    'd-i partman-partitioning/confirm_write_new_label boolean true',
    'd-i partman/choose_partition select finish',
    'd-i partman/confirm boolean true',
    'd-i partman/confirm_nooverwrite boolean true',
    'tasksel tasksel/first multiselect standard, ssh-server',
    `d-i pkgsel/include string ${packages.join(' ')}`,
    'd-i pkgsel/upgrade select none',
    'popularity-contest popularity-contest/participate boolean false',
    'd-i grub-installer/only_debian boolean true',
    'd-i grub-installer/bootdev string default',
    `d-i preseed/early_command string echo ${PRESEED_LOADED_MARKER} > /dev/ttyS0`,
    // One command string continued over lines with trailing backslashes, as d-i allows.
    `d-i preseed/late_command string ${late.join('; \\\n    ')}`,
    'd-i finish-install/reboot_in_progress note',
    ...(options.poweroff === false ? [] : ['d-i debian-installer/exit/poweroff boolean true']),
    '',
  ].join('\n');
}

/** The isolinux.cfg Oz writes into a remastered Debian ISO, with ozkit's serial console added. */
export function preseedIsolinuxConfig(seedOnCdrom: string, extraArgs: string[] = []): string {
  return [
    'default customiso',
    'timeout 1',
    'prompt 0',
    'label customiso',
    '  menu label ^Customiso',
    '  menu default',
    '  kernel /install.amd/vmlinuz',
    `  append file=/cdrom${seedOnCdrom} ${[...extraArgs, 'debian-installer/locale=en_US', 'console-setup/layoutcode=us', 'netcfg/choose_interface=auto', 'priority=critical', 'initrd=/install.amd/initrd.gz', '--'].join(' ')}`,
    '',
  ].join('\n');
}

function preseedGrubConfig(seedOnCdrom: string, extraArgs: string[]): string {
  return [
    'set timeout=1',
    "menuentry 'Install' {",
    `    linux /install.amd/vmlinuz file=/cdrom${seedOnCdrom} ${[...extraArgs, 'priority=critical'].join(' ')} ---`,
    '    initrd /install.amd/initrd.gz',
    '}',
    '',
  ].join('\n');
}

export interface RemasterOptions {
  iso: string;
  out: string;
  preseed: string;
  /** Where the preseed goes on the ISO: ozkit's /preseed/ozkit.seed by default, Oz's /preseed/customiso.seed. */
  seedPath?: string;
  /** Kernel arguments besides the preseed location (e.g. console=ttyS0,115200n8). */
  kernelArgs?: string[];
}

/**
 * Adds the preseed to a copy of the ISO and points its BIOS and EFI boot menus at it
 * (`file=/cdrom/…`), keeping the El Torito boot images as they are (xorriso -boot_image any replay).
 */
export async function remasterWithPreseed(options: RemasterOptions): Promise<void> {
  const seedPath = options.seedPath ?? '/preseed/ozkit.seed';
  const args = options.kernelArgs ?? [];
  const scratch = `${options.out}.parts`;
  await mkdir(scratch, { recursive: true });
  await writeFile(join(scratch, 'preseed'), options.preseed);
  await writeFile(join(scratch, 'isolinux.cfg'), preseedIsolinuxConfig(seedPath, args));
  await writeFile(join(scratch, 'grub.cfg'), preseedGrubConfig(seedPath, args));
  await run('xorriso', [
    '-indev',
    options.iso,
    '-outdev',
    options.out,
    '-map',
    join(scratch, 'preseed'),
    seedPath,
    '-map',
    join(scratch, 'isolinux.cfg'),
    '/isolinux/isolinux.cfg',
    '-map',
    join(scratch, 'grub.cfg'),
    '/boot/grub/grub.cfg',
    '-boot_image',
    'any',
    'replay',
  ]);
  await run('rm', ['-rf', scratch]);
}

/** Copies install.amd/vmlinuz and install.amd/initrd.gz out of the ISO into `dir`. */
export async function extractInstallerKernel(iso: string, dir: string): Promise<{ kernel: string; initrd: string }> {
  await mkdir(dir, { recursive: true });
  const kernel = join(dir, 'vmlinuz');
  const initrd = join(dir, 'initrd.gz');
  await run('xorriso', ['-osirrox', 'on', '-indev', iso, '-extract', '/install.amd/vmlinuz', kernel, '-extract', '/install.amd/initrd.gz', initrd]);
  return { kernel, initrd };
}

/** The installer's initrd with /preseed.cfg appended as one more gzip'd newc member. */
export async function appendPreseedToInitrd(initrd: string, preseed: string, dest: string): Promise<void> {
  await injectIntoInitrd({ source: initrd, dest, entries: [{ name: 'preseed.cfg', type: 'file', mode: 0o600, data: preseed }] });
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolveRun() : reject(new Error(`${command} exited with ${code}: ${stderr.trim().split('\n').slice(-5).join(' | ')}`)),
    );
  });
}
