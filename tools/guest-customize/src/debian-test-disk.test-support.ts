import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { testMirror } from '../../../test/support/test-installer.js';

/**
 * A Debian 12 disk for VM tests until the pipeline's installed image (test/support/installed-image.ts)
 * is available: debootstrap (systemd, openssh-server, kernel) → ext4 image filled with `mke2fs -d`
 * (no mounts) → qcow2, booted with its own kernel/initrd (`root=/dev/vda`). Root accepts one test
 * key. Cached under ~/.cache/ozkit-test; a cold build takes ~3 minutes and needs the Debian archive
 * (the test installer's: OZKIT_TEST_MIRROR, else the setting, else the host's apt sources).
 */
export interface DebianTestDisk {
  disk: string;
  kernel: string;
  initrd: string;
  append: string;
  privateKey: string;
  publicKey: string;
}

const VERSION = 'v1';

export function testCacheRoot(): string {
  if (process.env.OZKIT_TEST_CACHE) return process.env.OZKIT_TEST_CACHE;
  const xdg = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(xdg, 'ozkit-test');
}

export function debianTestDisk(): DebianTestDisk {
  const dir = join(testCacheRoot(), 'customize-fallback');
  const out = join(dir, VERSION);
  const result: DebianTestDisk = {
    disk: join(out, 'debian12.qcow2'),
    kernel: join(out, 'vmlinuz'),
    initrd: join(out, 'initrd.img'),
    append: 'root=/dev/vda rw console=ttyS0,115200n8 net.ifnames=1',
    privateKey: join(out, 'build_key'),
    publicKey: join(out, 'build_key.pub'),
  };
  if (existsSync(join(out, 'ready'))) return result;
  mkdirSync(dir, { recursive: true });
  const root = join(dir, 'root');
  if (!existsSync(join(dir, 'debootstrap.ok'))) {
    rmSync(root, { recursive: true, force: true });
    execFileSync(
      'debootstrap',
      ['--variant=minbase', '--include=systemd-sysv,openssh-server,linux-image-amd64,udev,dbus,iproute2,ca-certificates,kmod', 'bookworm', root, testMirror().url],
      { stdio: 'ignore' },
    );
    writeFileSync(join(dir, 'debootstrap.ok'), '');
  }
  const tmp = join(dir, `${VERSION}.tmp`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'ozkit-test-build-key', '-f', join(tmp, 'build_key')]);
  // Network: systemd-networkd DHCP on any NIC name; QEMU's user-mode DNS.
  writeFileSync(join(root, 'etc/systemd/network/80-dhcp.network'), '[Match]\nName=en* eth*\n\n[Network]\nDHCP=yes\n');
  const wants = (target: string, unit: string) => {
    const d = join(root, 'etc/systemd/system', target);
    mkdirSync(d, { recursive: true });
    rmSync(join(d, unit), { force: true });
    symlinkSync(`/lib/systemd/system/${unit}`, join(d, unit));
  };
  wants('multi-user.target.wants', 'systemd-networkd.service');
  wants('sockets.target.wants', 'systemd-networkd.socket');
  rmSync(join(root, 'etc/resolv.conf'), { force: true });
  writeFileSync(join(root, 'etc/resolv.conf'), 'nameserver 10.0.2.3\n');
  writeFileSync(join(root, 'etc/hostname'), 'ozkit-test\n');
  writeFileSync(join(root, 'etc/fstab'), '/dev/vda / ext4 rw,errors=remount-ro 0 1\n');
  mkdirSync(join(root, 'root/.ssh'), { recursive: true, mode: 0o700 });
  copyFileSync(join(tmp, 'build_key.pub'), join(root, 'root/.ssh/authorized_keys'));
  chmodSync(join(root, 'root/.ssh/authorized_keys'), 0o600);
  // apt inside the guest should not wait on a stale list from build time.
  const boot = readdirSync(join(root, 'boot'));
  copyFileSync(
    join(
      root,
      'boot',
      boot.find((f) => f.startsWith('vmlinuz-'))!,
    ),
    join(tmp, 'vmlinuz'),
  );
  copyFileSync(
    join(
      root,
      'boot',
      boot.find((f) => f.startsWith('initrd.img-'))!,
    ),
    join(tmp, 'initrd.img'),
  );
  const raw = join(tmp, 'root.raw');
  execFileSync('mke2fs', ['-q', '-t', 'ext4', '-L', 'root', '-d', root, raw, '4G']);
  execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, join(tmp, 'debian12.qcow2')]);
  rmSync(raw);
  writeFileSync(join(tmp, 'ready'), '');
  rmSync(out, { recursive: true, force: true });
  renameSync(tmp, out);
  return result;
}
