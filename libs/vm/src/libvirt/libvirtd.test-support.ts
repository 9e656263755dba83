/**
 * A real libvirtd for VM tests, started by the test itself (no systemd here): virtlogd + libvirtd
 * as root, with libvirt's `default` NAT network kept from starting — its autostart link is removed
 * first, and a test fails if any network is active, since a 192.168.x bridge in the machine's own
 * network namespace is not allowed here. Guests use user-mode networking only.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export const LOCAL_URI = 'qemu:///system';
const AUTOSTART = '/etc/libvirt/qemu/networks/autostart';

function virsh(uri: string, ...args: string[]): { ok: boolean; out: string; err: string } {
  const r = spawnSync('virsh', ['-q', '-c', uri, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { ok: r.status === 0, out: r.stdout ?? '', err: r.stderr ?? '' };
}

/** Starts libvirtd if it does not answer yet; returns the local system URI. */
export async function localLibvirtd(): Promise<string> {
  if (process.getuid?.() !== 0) throw new Error('the libvirt tests run as root (they start libvirtd themselves)');
  if (!existsSync('/usr/sbin/libvirtd')) throw new Error('libvirtd missing: apt-get install libvirt-daemon-system libvirt-clients');
  if (!virsh(LOCAL_URI, 'uri').ok) {
    if (existsSync(AUTOSTART)) for (const link of readdirSync(AUTOSTART)) rmSync(join(AUTOSTART, link), { force: true });
    if (spawnSync('pgrep', ['-x', 'virtlogd']).status !== 0) execFileSync('virtlogd', ['-d']);
    if (spawnSync('pgrep', ['-x', 'libvirtd']).status !== 0) execFileSync('libvirtd', ['-d']);
    const deadline = Date.now() + 30_000;
    while (!virsh(LOCAL_URI, 'uri').ok) {
      if (Date.now() > deadline) throw new Error('libvirtd did not answer on qemu:///system within 30 s');
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  const active = virsh(LOCAL_URI, 'net-list', '--name').out.trim();
  if (active) throw new Error(`libvirt networks are active (${active}); the tests never use one — virsh net-destroy them`);
  return LOCAL_URI;
}

/** The names of ozkit's domains libvirt knows (running or defined). */
export function ozkitDomains(uri: string = LOCAL_URI): string[] {
  return virsh(uri, 'list', '--all', '--name')
    .out.split('\n')
    .map((l) => l.trim())
    .filter((n) => n.startsWith('ozkit-'));
}

/** A transient directory pool for a test (gone with `virsh pool-destroy`). */
export function createTestPool(uri: string, name: string, dir: string): void {
  const r = virsh(uri, 'pool-create-as', name, 'dir', '--target', dir);
  if (!r.ok) throw new Error(`pool-create-as ${name}: ${r.err}`);
}

export function destroyTestPool(uri: string, name: string): void {
  virsh(uri, 'pool-destroy', name);
}

export function poolVolumes(uri: string, pool: string): string[] {
  virsh(uri, 'pool-refresh', pool);
  return virsh(uri, 'vol-list', '--pool', pool)
    .out.split('\n')
    .map((l) => l.trim().split(/\s+/)[0])
    .filter(Boolean);
}
