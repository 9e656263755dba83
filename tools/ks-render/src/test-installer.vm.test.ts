import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BuildDocument } from '@ozkit/build-document';
import { appendPreseedToInitrd, extractInstallerKernel, testInstallerIso, testMirror } from '../../../test/support/test-installer.js';
import { renderAnswer } from './render-answer.js';
import { CUSTOMIZE_BODY, documentFor, Scratch } from './ks-render.test-support.js';

/**
 * ks-render's preseeds through a complete install with the project's test installer
 * (test/installer: takes d-i preseeds, installs Debian 12): the late_command puts the build key
 * in place (the marker is only written when key and sshd are there), then the VM powers off.
 * Here a user's preseed; ks-render's default Debian 12 preseed, with a hostile root password, is
 * the shared installed image every VM test uses (test/support/installed-image.ts): its install
 * is checked in test/e2e/install.vm.test.ts (markers, power-off, the password's hash, key login).
 */
const INSTALL_TIMEOUT = 29 * 60_000; // 6-17 min measured under TCG on busy shared cores (load 19 on 2 cores)

const scratch = new Scratch();
let installer: { kernel: string; initrd: string };
let qemu: ChildProcess | undefined;

beforeAll(async () => {
  const iso = await testInstallerIso();
  installer = await extractInstallerKernel(iso, scratch.dir());
  (globalThis as { installerIso?: string }).installerIso = iso;
}, INSTALL_TIMEOUT);

afterEach(async () => {
  if (qemu && qemu.exitCode === null && qemu.signalCode === null) {
    const exited = new Promise((resolve) => qemu!.once('exit', resolve));
    qemu.kill('SIGKILL');
    await exited;
  }
  qemu = undefined;
});
afterAll(() => scratch.cleanup());

async function installWith(doc: BuildDocument, dir: string): Promise<{ console: string; code: number | null; answer: NonNullable<BuildDocument['answer']> }> {
  const answer = doc.answer!;
  const initrd = join(dir, 'initrd-with-preseed.gz');
  await appendPreseedToInitrd(installer.initrd, readFileSync(answer.path, 'utf8'), initrd);
  const disk = join(dir, 'disk.qcow2');
  expect(spawnSync('qemu-img', ['create', '-q', '-f', 'qcow2', disk, '4G']).status).toBe(0);
  const iso = (globalThis as { installerIso?: string }).installerIso!;
  let console = '';
  qemu = spawn(
    'qemu-system-x86_64',
    [
      '-machine',
      'pc,accel=tcg',
      '-m',
      '1024',
      '-smp',
      '2',
      '-display',
      'none',
      '-no-reboot',
      '-serial',
      'stdio',
      '-monitor',
      'none',
      '-kernel',
      installer.kernel,
      '-initrd',
      initrd,
      '-append',
      answer.kernelArgs.join(' '),
      '-drive',
      `file=${disk},if=virtio,format=qcow2`,
      '-cdrom',
      iso,
      '-netdev',
      'user,id=n0',
      '-device',
      'virtio-net-pci,netdev=n0',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  qemu.stdout!.on('data', (chunk: Buffer) => (console += chunk.toString('latin1')));
  qemu.stderr!.on('data', (chunk: Buffer) => (console += chunk.toString('latin1')));
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => qemu!.kill('SIGKILL'), INSTALL_TIMEOUT - 60_000);
    qemu!.once('exit', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  return { console, code, answer };
}

describe('ks-render preseeds installed by the ozkit test installer', () => {
  it("a user's preseed that reboots, with a late_command that fails and ends in a comment: ks-render makes it power off and adds the build access", async () => {
    const dir = scratch.dir();
    // The fixture names a placeholder archive; this install really fetches (pkgsel/include curl).
    const mirror = testMirror();
    const fixture = join(dir, 'debian-12-user.seed');
    const seed = readFileSync(new URL('../test-fixtures/debian-12-user.seed', import.meta.url), 'utf8');
    writeFileSync(
      fixture,
      seed
        .replace(/^(d-i mirror\/http\/hostname string ).*$/m, `$1${mirror.hostname}`)
        .replace(/^(d-i mirror\/http\/directory string ).*$/m, `$1${mirror.directory}`)
        // Issue 15 item 8: a late_command that fails under set -e and ends in a comment must
        // still let ozkit's key install and marker run.
        .replace(/^( {4}in-target apt-get clean)$/m, "$1; set -e; false # the user's own comment"),
    );
    expect(readFileSync(fixture, 'utf8')).toContain("; set -e; false # the user's own comment");
    const doc = await renderAnswer(documentFor(dir, { os: 'Debian', version: '12', body: CUSTOMIZE_BODY }), { autoFile: fixture });
    const { console, code, answer } = await installWith(doc, dir);
    expect(code, console.slice(-4000)).toBe(0);
    expect(console).toContain(answer.marker);
    expect(console).not.toContain('OZKIT-INSTALL-FAILED');
    expect(console).toMatch(/reboot: Power down/);
  });
});
