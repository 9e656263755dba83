import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { OzkitError } from '@ozkit/errors';

/** Guest architecture → QEMU system emulator and the Debian package that ships it. */
const emulators: Record<string, { binary: string; apt: string }> = {
  x86_64: { binary: 'qemu-system-x86_64', apt: 'qemu-system-x86' },
  i386: { binary: 'qemu-system-i386', apt: 'qemu-system-x86' },
  aarch64: { binary: 'qemu-system-aarch64', apt: 'qemu-system-arm' },
  armv7l: { binary: 'qemu-system-arm', apt: 'qemu-system-arm' },
  ppc64: { binary: 'qemu-system-ppc64', apt: 'qemu-system-ppc' },
  ppc64le: { binary: 'qemu-system-ppc64', apt: 'qemu-system-ppc' },
  s390x: { binary: 'qemu-system-s390x', apt: 'qemu-system-misc' },
};

export function qemuBinaryFor(arch: string): string {
  const e = emulators[arch];
  if (!e) throw new OzkitError('BAD_DOCUMENT', `no QEMU emulator known for architecture "${arch}"`);
  return e.binary;
}

/** The first executable `name` on PATH, or undefined. */
export function findProgram(name: string, path = process.env.PATH ?? ''): string | undefined {
  if (name.includes('/')) return isExecutable(name) ? name : undefined;
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Like findProgram, but a missing program is exit 69 naming the apt package to install. */
export function requireProgram(name: string, aptPackage: string, path?: string): string {
  const found = findProgram(name, path);
  if (!found) {
    throw new OzkitError('PROGRAM_MISSING', `${name} not found on PATH`, { hint: `install it: apt-get install ${aptPackage}` });
  }
  return found;
}

export function requireQemuSystem(arch: string, path?: string): string {
  const binary = qemuBinaryFor(arch);
  return requireProgram(binary, emulators[arch].apt, path);
}

export function requireQemuImg(path?: string): string {
  return requireProgram('qemu-img', 'qemu-utils', path);
}
