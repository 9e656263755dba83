import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

/** The Debian package of each program the unit tests run (see scripts/system-packages.txt). */
const PACKAGE_OF: Record<string, string> = {
  'qemu-system-x86_64': 'qemu-system-x86',
  'qemu-img': 'qemu-utils',
  xorriso: 'xorriso',
  'grub-mkimage': 'grub-common',
  mcopy: 'mtools',
  mmd: 'mtools',
  'mkfs.fat': 'dosfstools',
  '/usr/sbin/sshd': 'openssh-server',
  'ssh-keygen': 'openssh-client',
  pnmtopng: 'netpbm',
  pngtopam: 'netpbm',
  'debconf-set-selections': 'debconf',
  python3: 'python3-yaml',
  rpm: 'rpm',
  openssl: 'openssl',
  '/bin/busybox': 'busybox-static',
  flock: 'util-linux',
  curl: 'curl',
  '/usr/sbin/apt-cacher-ng': 'apt-cacher-ng',
};

function found(program: string): boolean {
  const candidates = isAbsolute(program) ? [program] : (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, program));
  return candidates.some((path) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * Unit tests run without the system packages checked first (only the VM project checks them all);
 * a test file that runs programs calls this at load, so a missing one fails that file with one
 * line naming the package, instead of "spawn xorriso ENOENT" somewhere inside a test.
 */
export function needsPrograms(...programs: string[]): void {
  const missing = programs.filter((program) => !found(program));
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map((program) => PACKAGE_OF[program] ?? program))];
  throw new Error(`this test needs ${missing.join(', ')}: apt-get install ${packages.join(' ')} (or run scripts/setup.sh)`);
}
