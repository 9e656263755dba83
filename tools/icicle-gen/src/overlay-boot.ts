import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OzkitError } from '@ozkit/errors';
import { FailureWithEvidence, type BuildDocument } from '@ozkit/build-document';
import type { Logger } from '@ozkit/log';
import type { Settings } from '@ozkit/config';
import { QemuVm, diskInfo, findFreePort, probeAccel } from '@ozkit/qemu';
import { HostKeyPin, waitForSsh, type SshSession } from '@ozkit/ssh';

export interface OverlayBootOptions<T> {
  /** The image to boot; default the document's customized (else installed) disk. */
  image?: string;
  privateKey: Buffer;
  user: string;
  bootTimeoutSeconds: number;
  settings: Settings;
  logger: Logger;
  signal: AbortSignal;
  /** What to do once logged in. */
  withSession: (session: SshSession, image: string) => Promise<T>;
}

/** The image --live --image boots: the given one, else the document's customized (else installed) disk. */
export function imageToBoot(doc: BuildDocument, given?: string): string {
  const image = given ?? doc.customize?.image?.path ?? doc.disk?.path;
  if (!image) {
    throw new OzkitError('USAGE', '--image: the document records no image (customize.image or disk) to boot', {
      hint: 'give the image path: --image FILE',
    });
  }
  if (!existsSync(image)) throw new OzkitError('INPUT_MISSING', `${image}: image not found`);
  return image;
}

/**
 * Oz's `[icicle] safe_generation`: boot the image with every write going to a throw-away
 * overlay (QEMU snapshot=on: the image itself is only read), log in with the build key,
 * run `withSession`, then end QEMU — no clean shutdown is needed because nothing is kept.
 * Only unsealed images can do this (sealing removes the build key): build with
 * `guest-customize --no-seal` to inventory an image later this way.
 */
export async function bootForInventory<T>(doc: BuildDocument, options: OverlayBootOptions<T>): Promise<T> {
  const image = imageToBoot(doc, options.image);
  const info = await diskInfo(image, options.signal);
  if (info.format !== 'qcow2' && info.format !== 'raw') {
    throw new OzkitError('BAD_IMAGE', `${image}: image format ${info.format} is not qcow2 or raw`);
  }
  const runDir = mkdtempSync(join(tmpdir(), 'ozkit-icicle-vm-'));
  const hostPort = await findFreePort();
  const arch = doc.template?.os?.arch ?? 'x86_64';
  const probe = await probeAccel(options.settings.accel, options.logger, { arch, cacheDir: options.settings.cacheDir, signal: options.signal });
  const accel = probe.accel;
  options.logger.debug(`accelerator ${accel} (${probe.reason})`);
  options.logger.info(`booting ${image} on a throw-away overlay (SSH on 127.0.0.1:${hostPort})`);
  let vm: QemuVm | undefined;
  try {
    vm = await QemuVm.start(
      {
        arch,
        accel,
        cpus: options.settings.cpus,
        memoryMiB: options.settings.memoryMiB,
        disks: [{ path: image, format: info.format, bus: doc.disk?.bus ?? 'virtio', snapshot: true }],
        boot: 'disk',
        hostForwards: [{ hostPort, guestPort: 22 }],
        runDir,
        consoleLog: join(runDir, 'console.log'),
        captureNetStats: false,
        signal: options.signal,
      },
      options.logger,
    );
    const running = vm;
    let session: SshSession;
    try {
      session = await waitForSsh({
        host: '127.0.0.1',
        port: hostPort,
        username: options.user,
        privateKey: options.privateKey,
        hostKeys: new HostKeyPin(),
        timeoutMs: options.bootTimeoutSeconds * 1000,
        signal: options.signal,
        stopIf: () =>
          running.exitStatus
            ? new OzkitError('QEMU_CRASHED', `the guest stopped before SSH answered (QEMU ${running.exitStatus.signal ?? `exit ${running.exitStatus.code}`})`)
            : undefined,
      });
    } catch (error) {
      const tail = running.console.tail(15);
      if (error instanceof OzkitError) {
        const sealed = error.details?.reason === 'auth';
        throw new FailureWithEvidence(error.code, error.message + (tail.length > 0 ? `\nconsole tail:\n  ${tail.join('\n  ')}` : ''), { consoleTail: tail }, {
          hint: sealed
            ? 'a sealed image no longer accepts the build key; inventory it at build time (guest-customize records it) or build with --no-seal'
            : error.hint,
          exitCode: error.exitCode,
          details: error.details,
          cause: error,
        });
      }
      throw error;
    }
    try {
      return await options.withSession(session, image);
    } finally {
      await session.close();
    }
  } finally {
    await vm?.kill();
    vm?.removeRunFiles();
    rmSync(runDir, { recursive: true, force: true });
  }
}
