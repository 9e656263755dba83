/** Build documents for guest-install tests: the tiny busybox guest as "installer media". */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import type { BuildDocument } from '@ozkit/build-document';
import { Logger } from '@ozkit/log';
import { buildTinyGuest, tinyGuestAppend, type TinyGuestMode } from '../../../libs/qemu/src/tiny-guest.test-support.js';

export { buildTinyGuest, tinyGuestAppend, type TinyGuestMode };

export function tinyInstallDocument(
  workdir: string,
  guest: { kernel: string; initrd: string },
  mode: TinyGuestMode,
  options: { marker?: string; sizeBytes?: number; name?: string; mediaSha?: string } = {},
): BuildDocument {
  mkdirSync(workdir, { recursive: true });
  const id = Math.random().toString(36).slice(2, 10);
  const marker = options.marker ?? `OZKIT-INSTALL-COMPLETE ${id}`;
  const failedMarker = `OZKIT-INSTALL-FAILED ${id}`;
  const privateKey = join(workdir, 'build-key');
  writeFileSync(privateKey, 'not a real key, only copied around\n', { mode: 0o600 });
  writeFileSync(`${privateKey}.pub`, 'ssh-ed25519 AAAA test\n');
  writeFileSync(join(workdir, 'root-password'), 'generated-for-the-test\n', { mode: 0o600 });
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');
  // Boot media must lie inside the workdir (guest-install refuses other paths), as iso-fetch's do.
  mkdirSync(join(workdir, 'media'), { recursive: true });
  const kernel = join(workdir, 'media', 'vmlinuz');
  const initrd = join(workdir, 'media', 'initrd.img');
  copyFileSync(guest.kernel, kernel);
  copyFileSync(guest.initrd, initrd);
  return {
    ozkit: 1,
    workdir,
    template: {
      source: { path: join(workdir, 'tiny.tdl'), sha256: sha('tdl') },
      name: options.name ?? 'tiny',
      os: { name: 'Debian', version: '12', arch: 'x86_64', install: { type: 'url', url: 'http://127.0.0.1/' } },
      disk: { sizeBytes: options.sizeBytes ?? 64 << 20 },
      packages: [],
      repositories: [],
      files: [],
      commands: [],
      precommands: [],
    },
    answer: {
      format: 'preseed',
      family: 'debian',
      path: join(workdir, 'preseed.cfg'),
      sha256: sha(marker),
      stableSha256: sha(`stable-${mode}`),
      kernelArgs: [],
      placement: { onIso: '/preseed/ozkit.seed', inInitrd: '/preseed.cfg' },
      marker,
      failedMarker,
      buildKey: { privateKey, publicKey: `${privateKey}.pub` },
      rootPassword: { generated: true, file: join(workdir, 'root-password') },
      user: false,
      sshd: true,
    },
    media: {
      original: { url: 'file:///boot', kind: 'tree', path: '/boot', sha256: options.mediaSha ?? sha('media'), bytes: 1, verified: null, fromCache: false },
      boot: { method: 'kernel', kernel, initrd, append: tinyGuestAppend(mode, marker, failedMarker) },
    },
    stages: [],
  };
}

/** A logger that keeps what it writes (text format). */
export function memoryLogger(): { logger: Logger; text: () => string } {
  let out = '';
  const stream = { write: (s: string) => ((out += s), true), isTTY: false } as unknown as NodeJS.WritableStream;
  return { logger: new Logger({ tool: 'guest-install', stream, verbosity: 1 }), text: () => out };
}

export const testSettings = (cacheDir: string) => ({
  cacheDir,
  cpus: 1,
  memoryMiB: 256,
  imageType: 'qcow2' as const,
  accel: 'tcg' as const,
  diskBus: 'auto' as const,
  cacheJeos: false,
  timeoutInstall: 300,
  timeoutInactivity: 60,
  screenshotDir: undefined,
  connect: undefined,
  virtType: undefined,
  pool: 'default',
  bridgeName: undefined,
});
