/**
 * The stages through libvirt, with a real libvirtd started by the test (no NAT network, user-mode
 * networking only): guest-install of the tiny guest on qemu:///system (success, and SIGINT with
 * nothing left behind), and guest-customize of the shared installed Debian image through a remote
 * URI — qemu+ssh to a real sshd on 127.0.0.1, disks uploaded into a pool and brought back.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { buildTinyGuest, tinyInstallDocument } from '../../tools/guest-install/src/tiny-install.test-support.js';
import { startSshd, type TestSshd } from '../../libs/ssh/src/sshd.test-support.js';
import { createTestPool, destroyTestPool, localLibvirtd, ozkitDomains, poolVolumes } from '../../libs/vm/src/libvirt/libvirtd.test-support.js';
import { installedDebianImage, installedDiskIn } from '../support/installed-image.js';

const repoRoot = join(import.meta.dirname, '..', '..');
const bin = (tool: string) => join(repoRoot, 'tools', tool, 'bin', `${tool}.js`);

let root: string;
let uri: string;

beforeAll(async () => {
  uri = await localLibvirtd();
  root = mkdtempSync(join(tmpdir(), 'ozkit-libvirt-e2e-'));
  // Remote guests run as libvirt-qemu and must reach the test pool inside this folder.
  chmodSync(root, 0o711);
});

afterAll(() => {
  expect(ozkitDomains(uri)).toEqual([]);
  rmSync(root, { recursive: true, force: true });
});

let guest: { kernel: string; initrd: string };

/** guest-install of the tiny guest through a URI. */
function tinyInstall(name: string, mode: 'success' | 'sleep', connect: string[]) {
  const doc = tinyInstallDocument(join(root, name), guest, mode, { name: `tiny-${name}` });
  return execa(process.execPath, [bin('guest-install'), ...connect, '--memory', '256'], {
    input: JSON.stringify(doc) + '\n',
    reject: false,
    env: { OZKIT_CACHE_DIR: join(root, 'cache'), OZKIT_ACCEL: 'tcg' },
  });
}

describe('guest-install --connect qemu:///system (tiny guest)', () => {
  beforeAll(() => {
    guest = buildTinyGuest(root);
  });

  it(
    'installs through a transient libvirt domain and hands on the disk',
    async () => {
      const run = await tinyInstall('install-ok', 'success', ['--connect', uri]);
      expect(run.exitCode, run.stderr).toBe(0);
      const out = JSON.parse(run.stdout);
      expect(out.disk).toMatchObject({ markerSeen: true, accel: 'tcg', format: 'qcow2' });
      expect(existsSync(out.disk.path)).toBe(true);
      expect(ozkitDomains(uri)).toEqual([]);
    },
    10 * 60_000,
  );

  it(
    'SIGINT mid-install: exit 130, the domain destroyed, no partial disk',
    async () => {
      const workdir = join(root, 'install-int');
      const child = tinyInstall('install-int', 'sleep', ['--connect', uri]);
      const deadline = Date.now() + 5 * 60_000;
      while (!ozkitDomains(uri).some((n) => n.startsWith('ozkit-tiny-install-int-guest-install-')) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 250));
      expect(ozkitDomains(uri).length).toBe(1);
      child.kill('SIGINT');
      const run = await child;
      expect(run.exitCode, run.stderr).toBe(130);
      expect(ozkitDomains(uri)).toEqual([]);
      expect(readdirSync(workdir).filter((f) => f.includes('.partial-') || f.startsWith('.guest-install-run-'))).toEqual([]);
    },
    10 * 60_000,
  );
});

describe('guest-customize --connect qemu+ssh://… (the shared installed image on a remote hypervisor)', () => {
  let sshd: TestSshd;
  let remote: string;
  const pool = `ozkit-e2e-pool-${process.pid}`;

  beforeAll(async () => {
    sshd = await startSshd();
    remote = `qemu+ssh://root@127.0.0.1:${sshd.port}/system?keyfile=${sshd.clientKey.privateKey}&no_verify=1`;
    const poolDir = join(root, 'pool');
    mkdirSync(poolDir);
    createTestPool(uri, pool, poolDir);
  });

  afterAll(async () => {
    destroyTestPool(uri, pool);
    await sshd?.stop();
  });

  it(
    'two builds at once on two URIs (the local daemon and the remote one) do not collide',
    async () => {
      const [local, far] = await Promise.all([
        tinyInstall('farm-local', 'success', ['--connect', uri]),
        tinyInstall('farm-remote', 'success', ['--connect', remote, '--pool', pool]),
      ]);
      expect(local.exitCode, local.stderr).toBe(0);
      expect(far.exitCode, far.stderr).toBe(0);
      expect(JSON.parse(far.stdout).disk.markerSeen).toBe(true);
      expect(ozkitDomains(uri)).toEqual([]);
      expect(poolVolumes(uri, pool)).toEqual([]);
    },
    15 * 60_000,
  );

  it(
    'customizes and seals through the remote URI; the image comes back; no domain or volume is left',
    async () => {
      const image = await installedDebianImage();
      const workdir = join(root, 'customize');
      mkdirSync(workdir);
      const installed = await installedDiskIn(image, workdir);
      const disk = installed.path;
      const tdlPath = join(root, 'remote.tdl');
      writeFileSync(
        tdlPath,
        `<template><name>remote-customize</name>
  <os><name>Debian</name><version>12</version><arch>x86_64</arch>
    <install type='url'><url>http://127.0.0.1/debian/</url></install></os>
  <files><file name='/etc/ozkit-remote'>made through libvirt</file></files>
  <commands><command name='mark'>echo customized-remotely > /etc/ozkit-remote-command</command></commands>
</template>
`,
      );
      const validated = await execa(process.execPath, [bin('tdl-validate'), tdlPath, '--workdir', workdir], { reject: false });
      expect(validated.exitCode, validated.stderr).toBe(0);
      const doc = JSON.parse(validated.stdout);
      doc.disk = {
        path: disk,
        format: 'qcow2',
        virtualSize: image.virtualSize,
        bus: 'virtio',
        accel: 'tcg',
        installSeconds: 0,
        consoleLog: '',
        markerSeen: true,
        buildKey: { privateKey: installed.privateKey, publicKey: installed.publicKey },
      };
      // Measured: sshd after ~4 min with eight other jobs on the two cores; 15 min leaves room.
      const run = await execa(process.execPath, [bin('guest-customize'), '--connect', remote, '--pool', pool, '--boot-timeout', '900'], {
        input: JSON.stringify(doc) + '\n',
        reject: false,
        env: { OZKIT_CACHE_DIR: join(root, 'cache') },
      });
      expect(run.exitCode, run.stderr).toBe(0);
      const out = JSON.parse(run.stdout);
      expect(out.customize.steps.map((s: { step: string }) => s.step)).toEqual(expect.arrayContaining(['files', 'commands']));
      expect(out.customize.seal.operations.every((o: { done: boolean }) => o.done !== undefined)).toBe(true);
      expect(existsSync(out.customize.image.path)).toBe(true);
      expect(out.customize.inventory.packages.length).toBeGreaterThan(50);
      expect(run.stderr).toMatch(/libvirt|ssh on 127\.0\.0\.1/i);
      expect(ozkitDomains(uri)).toEqual([]);
      expect(poolVolumes(uri, pool)).toEqual([]);
    },
    30 * 60_000,
  );
});
