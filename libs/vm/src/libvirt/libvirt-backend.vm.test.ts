import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { execFileSync, spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDisk } from '@ozkit/qemu';
import { buildTinyGuest } from '../../../qemu/src/tiny-guest.test-support.js';
import { startSshd, type TestSshd } from '../../../ssh/src/sshd.test-support.js';
import { libvirtBackend } from './libvirt-backend.js';
import type { GuestDescription } from '../vm-backend.js';
import { createTestPool, destroyTestPool, localLibvirtd, ozkitDomains, poolVolumes } from './libvirtd.test-support.js';

// TCG on two busy cores: the tiny guest reaches its init in ~5 s; allow several times that.
const GUEST_MS = 120_000;

let dir: string;
let uri: string;
let tiny: { kernel: string; initrd: string };

beforeAll(async () => {
  uri = await localLibvirtd();
  dir = mkdtempSync(join(tmpdir(), 'ozkit-libvirt-'));
  tiny = buildTinyGuest(dir);
});

afterAll(() => {
  expect(ozkitDomains(uri)).toEqual([]);
  rmSync(dir, { recursive: true, force: true });
});

async function tinyGuest(name: string, mode: string, extra: Partial<GuestDescription> = {}): Promise<GuestDescription> {
  const disk = join(dir, `${name}.qcow2`);
  await createDisk(disk, 'qcow2', 64 * 1024 * 1024);
  return {
    arch: 'x86_64',
    accel: 'tcg',
    cpus: 1,
    memoryMiB: 256,
    disks: [{ path: disk, format: 'qcow2', bus: 'virtio' }],
    kernel: { ...tiny, append: `console=ttyS0 panic=-1 ozkit.mode=${mode} ozkit.marker=OZKIT:DONE` },
    network: { ssh: {}, countBytes: true },
    consoleLog: join(dir, `${name}-console.log`),
    runDir: join(dir, `${name}-run`),
    rebootEndsGuest: true,
    ...extra,
  };
}

/**
 * A CD-ROM as iso-fetch makes it by default: a qcow2 overlay on a raw "original". Block 16 is the
 * original's, block 17 the overlay's over it, block 512 the overlay's past the original's end.
 */
function overlayCdrom(name: string): { overlay: string; blocks: string; expected: string[] } {
  const original = join(dir, `${name}-original.iso`);
  const image = Buffer.alloc(1024 * 1024);
  image.write('ORIGINAL-BLOCK-16', 16 * 2048, 'latin1');
  image.write('ORIGINAL-BLOCK-17', 17 * 2048, 'latin1');
  writeFileSync(original, image);
  const overlay = join(dir, `${name}-boot.qcow2`);
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', original, '-F', 'raw', overlay, String(2 * 1024 * 1024)]);
  execFileSync('qemu-io', ['-c', `write -q -P 0x58 ${17 * 2048} 2048`, '-c', `write -q -P 0x4f ${512 * 2048} 2048`, overlay]);
  const dots = (text: string) => text + '.'.repeat(32 - text.length);
  return {
    overlay,
    blocks: '16,17,512',
    expected: [`cd block 16: ${dots('ORIGINAL-BLOCK-16')}`, `cd block 17: ${'X'.repeat(32)}`, `cd block 512: ${'O'.repeat(32)}`],
  };
}

async function cdromGuest(name: string, blocks: string, extra: Partial<GuestDescription>): Promise<GuestDescription> {
  return tinyGuest(name, 'cdrom', {
    kernel: { ...tiny, append: `console=ttyS0 panic=-1 ozkit.mode=cdrom ozkit.cdblocks=${blocks} ozkit.marker=OZKIT:DONE` },
    network: false,
    ...extra,
  });
}

describe('libvirt backend on qemu:///system (a real libvirtd, transient domains)', () => {
  it(
    'attaches a qcow2 CD-ROM (an overlay on the original ISO) as qcow2: the guest reads the overlay over its backing file',
    async () => {
      const cd = overlayCdrom('local-cd');
      const backend = libvirtBackend({ uri, build: 'test', stage: 'cdrom' });
      const guest = await backend.start(await cdromGuest('local-cd', cd.blocks, { cdrom: cd.overlay, cdromFormat: 'qcow2' }));
      await guest.console.waitFor('OZKIT DONE', GUEST_MS);
      await guest.waitForExit();
      const console = guest.console.tail(50).join('\n');
      for (const line of cd.expected) expect(console).toContain(line);
      expect(ozkitDomains(uri)).toEqual([]);
    },
    GUEST_MS * 2,
  );

  it(
    'runs a guest to its own power-off: console, events, disk statistics, nothing left',
    async () => {
      const backend = libvirtBackend({ uri, build: 'test', stage: 'poweroff' });
      const guest = await backend.start(await tinyGuest('poweroff', 'success'));
      const events: string[] = [];
      guest.onEvent((e) => events.push(e.type === 'shutdown' ? `shutdown:${e.reason}` : e.type));
      expect(guest.label).toMatch(/^libvirt domain ozkit-test-poweroff-/);
      expect(ozkitDomains(uri)).toHaveLength(1);
      await guest.console.waitFor('OZKIT DONE', GUEST_MS);
      const exit = await guest.waitForExit();
      expect(exit).toEqual({ code: 0, signal: null });
      expect(events).toContain('shutdown:guest-poweroff');
      expect(guest.console.tail(50).join('\n')).toContain('tiny-guest: mode success');
      expect(ozkitDomains(uri)).toEqual([]);
      expect(readdirSync(join(dir, 'poweroff-run'))).toEqual([]);
    },
    GUEST_MS * 2,
  );

  it(
    'counts disk writes and network bytes, takes a PNG screenshot, forwards a loopback port; kill() ends the domain',
    async () => {
      const backend = libvirtBackend({ uri, build: 'test', stage: 'kill' });
      const guest = await backend.start(await tinyGuest('kill', 'inactive'));
      await guest.console.waitFor('tiny-guest: now idle', GUEST_MS);
      const stats = await guest.stats();
      expect(stats.diskWriteBytes).toBeGreaterThanOrEqual(2 * 1024 * 1024);
      expect(stats.diskWriteOps).toBeGreaterThan(0);
      expect(stats.netBytes).toBeTypeOf('number');
      expect(guest.ssh?.host).toBe('127.0.0.1');
      const png = await guest.screenshot(join(dir, 'kill.png'));
      expect(readFileSync(png).subarray(1, 4).toString()).toBe('PNG');
      await guest.kill();
      expect(guest.killed).toBe(true);
      expect(ozkitDomains(uri)).toEqual([]);
    },
    GUEST_MS * 2,
  );

  it(
    'a reboot ends a guest that asked for it (the end of an installer run)',
    async () => {
      const backend = libvirtBackend({ uri, build: 'test', stage: 'reboot' });
      const guest = await backend.start(await tinyGuest('reboot', 'reboot'));
      const exit = await guest.waitForExit();
      expect(exit.code === 0 || exit.signal !== null).toBe(true);
      expect(guest.lastShutdown?.reason).toBe('guest-reset');
      expect(ozkitDomains(uri)).toEqual([]);
    },
    GUEST_MS * 2,
  );

  it(
    'a tool killed with SIGKILL leaves no domain: its reaper destroys it',
    async () => {
      const script = join(dir, 'killed-tool.mjs');
      const description = await tinyGuest('killed', 'sleep');
      writeFileSync(
        script,
        `import { libvirtBackend } from ${JSON.stringify(new URL('../../dist/index.js', import.meta.url).pathname)};
       const guest = await libvirtBackend({ uri: ${JSON.stringify(uri)}, build: 'test', stage: 'killed' }).start(${JSON.stringify(description)});
       console.log('started');
       setInterval(() => {}, 1000);`,
      );
      const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (d: Buffer) => d.toString().includes('started') && resolve());
        child.once('exit', (code) => reject(new Error(`tool exited early (${code})`)));
      });
      expect(ozkitDomains(uri).some((n) => n.startsWith('ozkit-test-killed-'))).toBe(true);
      child.kill('SIGKILL');
      const deadline = Date.now() + 30_000;
      while (ozkitDomains(uri).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
      expect(ozkitDomains(uri)).toEqual([]);
    },
    GUEST_MS * 2,
  );

  it(
    "a domain libvirt refuses to start is exit 70 with virsh's message, and nothing is left",
    async () => {
      const backend = libvirtBackend({ uri, build: 'test', stage: 'refused' });
      const description = await tinyGuest('refused', 'sleep', { cdrom: join(dir, 'no-such-media.iso') });
      const error = await backend.start(description).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'DOMAIN_FAILED', exitCode: 70 });
      expect((error as Error).message).toMatch(/no-such-media\.iso/);
      expect(ozkitDomains(uri)).toEqual([]);
    },
    GUEST_MS,
  );

  it(
    "an unreachable hypervisor is exit 69 with libvirt's own message",
    async () => {
      const backend = libvirtBackend({ uri: 'qemu+ssh://root@127.0.0.1:1/system?no_verify=1', build: 'test', stage: 'unreachable' });
      await expect(backend.chooseAccel('auto', { arch: 'x86_64' })).rejects.toMatchObject({ code: 'HYPERVISOR_UNREACHABLE', exitCode: 69 });
    },
    GUEST_MS,
  );
});

describe('libvirt backend on a remote URI (qemu+ssh to a real sshd on 127.0.0.1)', () => {
  let sshd: TestSshd;
  let remote: string;
  const pool = `ozkit-test-pool-${process.pid}`;

  beforeAll(async () => {
    sshd = await startSshd();
    remote = `qemu+ssh://root@127.0.0.1:${sshd.port}/system?keyfile=${sshd.clientKey.privateKey}&no_verify=1`;
    const poolDir = join(dir, 'pool');
    mkdirSync(poolDir);
    // A remote hypervisor runs QEMU as its own user (libvirt-qemu), which must reach the pool.
    chmodSync(dir, 0o711);
    createTestPool(uri, pool, poolDir);
  });

  afterAll(async () => {
    destroyTestPool(uri, pool);
    await sshd?.stop();
  });

  it(
    'uploads the disk and kernel into the pool, streams the console, brings the written disk back, deletes every volume',
    async () => {
      const backend = libvirtBackend({ uri: remote, pool, build: 'test', stage: 'remote' });
      const description = await tinyGuest('remote', 'success', { network: { ssh: {} } });
      const before = readFileSync(description.disks[0].path);
      const guest = await backend.start(description);
      expect(poolVolumes(uri, pool).length).toBeGreaterThanOrEqual(3);
      await guest.console.waitFor('OZKIT DONE', GUEST_MS);
      expect(guest.ssh?.host).toBe('127.0.0.1');
      await guest.waitForExit();
      expect(readFileSync(description.disks[0].path).equals(before)).toBe(false);
      expect(poolVolumes(uri, pool)).toEqual([]);
      expect(ozkitDomains(uri)).toEqual([]);
      expect(existsSync(description.consoleLog)).toBe(true);
    },
    GUEST_MS * 3,
  );

  it(
    'uploads a qcow2 CD-ROM flattened to a plain ISO (the hypervisor has no backing file): the guest reads the same medium',
    async () => {
      const cd = overlayCdrom('remote-cd');
      const backend = libvirtBackend({ uri: remote, pool, build: 'test', stage: 'remote-cdrom' });
      const description = await cdromGuest('remote-cd', cd.blocks, { cdrom: cd.overlay, cdromFormat: 'qcow2' });
      const guest = await backend.start(description);
      const volume = poolVolumes(uri, pool).find((v) => v.endsWith('-cdrom.iso'));
      expect(volume).toBeDefined();
      // The volume is the medium itself, raw, not the overlay file.
      const uploaded = readFileSync(join(dir, 'pool', volume!));
      expect(uploaded.length).toBe(2 * 1024 * 1024);
      expect(uploaded.subarray(0, 4).toString('latin1')).not.toBe('QFI\xfb');
      await guest.console.waitFor('OZKIT DONE', GUEST_MS);
      await guest.waitForExit();
      const console = guest.console.tail(50).join('\n');
      for (const line of cd.expected) expect(console).toContain(line);
      expect(poolVolumes(uri, pool)).toEqual([]);
      expect(readdirSync(description.runDir).filter((f) => f.endsWith('.flat'))).toEqual([]);
    },
    GUEST_MS * 3,
  );
});
