import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OzkitError } from '@ozkit/errors';
import { checkDocumentPath, type BuildDocument } from '@ozkit/build-document';
import type { Logger } from '@ozkit/log';
import type { Settings } from '@ozkit/config';
import type { SshSession } from '@ozkit/ssh';
import { bootToSsh, selectBackend, diskInfo } from '@ozkit/vm';

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

/**
 * The image --live --image boots: the given one, else the document's customized (else
 * installed) disk — which must be one the pipeline wrote (workdir or `cacheDir`).
 */
export function imageToBoot(doc: BuildDocument, given: string | undefined, cacheDir: string): string {
  const image = given ?? doc.customize?.image?.path ?? doc.disk?.path;
  if (!image) {
    throw new OzkitError('USAGE', '--image: the document records no image (customize.image or disk) to boot', {
      hint: 'give the image path: --image FILE',
    });
  }
  if (given === undefined)
    checkDocumentPath(
      image,
      doc.customize?.image?.path !== undefined ? 'customize.image.path' : 'disk.path',
      { workdir: doc.workdir, folders: [cacheDir] },
      { regularFile: true },
    );
  if (!existsSync(image)) throw new OzkitError('INPUT_MISSING', `${image}: image not found`);
  return image;
}

/**
 * Oz's `[icicle] safe_generation`: boot the image with every write going to a throw-away
 * overlay (the image itself is only read), log in with the build key, run `withSession`, then
 * end the guest — no clean shutdown is needed because nothing is kept. Only unsealed images
 * can do this (sealing removes the build key): build with `guest-customize --no-seal` to
 * inventory an image later this way.
 */
export async function bootForInventory<T>(doc: BuildDocument, options: OverlayBootOptions<T>): Promise<T> {
  const image = imageToBoot(doc, options.image, options.settings.cacheDir);
  const info = await diskInfo(image, options.signal);
  if (info.format !== 'qcow2' && info.format !== 'raw') {
    throw new OzkitError('BAD_IMAGE', `${image}: image format ${info.format} is not qcow2 or raw`);
  }
  const runDir = mkdtempSync(join(tmpdir(), 'ozkit-icicle-vm-'));
  const arch = doc.template?.os?.arch ?? 'x86_64';
  const backend = selectBackend(options.settings, { build: doc.template?.name ?? 'image', stage: 'icicle-gen' });
  const probe = await backend.chooseAccel(options.settings.accel, { arch, cacheDir: options.settings.cacheDir, signal: options.signal }, options.logger);
  options.logger.debug(`accelerator ${probe.accel} (${probe.reason})`);
  options.logger.info(`booting ${image} on a throw-away overlay`);
  try {
    const { guest, session } = await bootToSsh({
      backend,
      guest: {
        arch,
        accel: probe.accel,
        cpus: options.settings.cpus,
        memoryMiB: options.settings.memoryMiB,
        disks: [{ path: image, format: info.format, bus: doc.disk?.bus ?? 'virtio', snapshot: true }],
        boot: 'disk',
        network: { ssh: {} },
        runDir,
        consoleLog: join(runDir, 'console.log'),
        signal: options.signal,
      },
      ssh: {
        username: options.user,
        privateKey: options.privateKey,
        timeoutMs: options.bootTimeoutSeconds * 1000,
        refusedKeyHint: 'a sealed image no longer accepts the build key; inventory it at build time (guest-customize records it) or build with --no-seal',
      },
      // The console file lives in the throw-away run directory: reports show its tail, not its path.
      consoleKept: false,
      ...(doc.workdir ? { screenshotPrefix: join(doc.workdir, 'icicle-boot-failure') } : {}),
      onStarted: ({ vm }) => options.logger.info(`${vm.label}: SSH on ${vm.ssh!.host}:${vm.ssh!.port}`),
      logger: options.logger,
      signal: options.signal,
    });
    try {
      return await options.withSession(session, image);
    } finally {
      await session.close();
      await guest.kill();
    }
  } finally {
    rmSync(runDir, { recursive: true, force: true });
  }
}
