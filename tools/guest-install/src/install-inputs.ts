import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OzkitError } from '@ozkit/errors';
import { checkDocumentPath, requireKey, type Answer, type BuildDocument, type ImageFormat, type Media, type Template } from '@ozkit/build-document';
import { ensureDir, safeName } from '@ozkit/config';
import { diskBusFor } from '@ozkit/os-catalog';
import { selectBackend } from '@ozkit/vm';
import { checkBootMedia } from './boot-media-check.js';
import type { GuestInstallOptions } from './guest-install.js';

/** What one install needs, checked once before anything is created. */
export interface InstallInputs {
  template: Template;
  answer: Answer;
  media: Media;
  workdir: string;
  arch: string;
  sizeBytes: number;
  format: ImageFormat;
  bus: 'virtio' | 'ide';
  firmware: 'bios' | 'uefi';
  /** Where the disk goes. */
  diskPath: string;
  /** Where it is written until the install succeeded (renamed then). */
  partialDisk: string;
  consoleLog: string;
}

/**
 * The boot media go to QEMU: each must be one iso-fetch made (in the workdir or the cache) or
 * the local ISO the user named (TDL <iso> or --iso), never any file the document points at.
 */
function checkMediaPaths(media: Media, template: Template, workdir: string, cacheDir: string): void {
  const local = (source: string | undefined) =>
    source === undefined ? undefined : source.startsWith('file://') ? fileURLToPath(source) : isAbsolute(source) ? source : undefined;
  const install = template.os.install;
  const scope = { workdir, folders: [cacheDir], inputs: [local(install.type === 'iso' ? install.iso : undefined), local(media.requested?.override)] };
  const boot = media.boot;
  const paths: [string, string | undefined][] =
    boot.method === 'iso'
      ? [['media.boot.iso', boot.iso]]
      : [
          ['media.boot.kernel', boot.kernel],
          ['media.boot.initrd', boot.initrd],
          ['media.boot.iso', boot.iso],
        ];
  // A qcow2 overlay's backing file is read by QEMU as well: the same rule (checkBootMedia makes sure the overlay names it).
  if (boot.isoFormat === 'qcow2') paths.push(['media.boot.isoBacking', boot.isoBacking]);
  for (const [where, path] of paths) if (path !== undefined) checkDocumentPath(path, where, scope, { regularFile: true });
}

/**
 * Step 1: the document's keys, the boot media (an ISO has a CD001 descriptor, a kernel a
 * bzImage header, an initrd a known magic) and the programs the host needs; then the disk's
 * format, bus, firmware and path.
 */
export function readInstallInputs(doc: BuildDocument, options: GuestInstallOptions): InstallInputs {
  const { settings } = options;
  const template = requireKey(doc, 'template', 'tdl-validate') as Template;
  const answer = requireKey(doc, 'answer', 'ks-render');
  const media = requireKey(doc, 'media', 'iso-fetch');
  if (typeof doc.workdir !== 'string' || !isAbsolute(doc.workdir)) {
    throw new OzkitError('BAD_DOCUMENT', 'the document has no absolute workdir', { hint: 'run tdl-validate first' });
  }
  const workdir: string = doc.workdir;
  ensureDir(workdir, 'workdir');
  const arch = template.os.arch;
  const sizeBytes = template.disk?.sizeBytes;
  if (!Number.isSafeInteger(sizeBytes) || sizeBytes <= 0)
    throw new OzkitError('BAD_DOCUMENT', `template.disk.sizeBytes must be a positive integer, got ${String(sizeBytes)}`);
  if (typeof answer.marker !== 'string' || answer.marker.trim() === '')
    throw new OzkitError('BAD_DOCUMENT', 'answer.marker is missing', { hint: 'run ks-render before guest-install' });
  checkMediaPaths(media, template, workdir, settings.cacheDir);
  // The build key is copied into the JEOS cache and handed to ssh: only the pair ks-render wrote.
  for (const half of ['privateKey', 'publicKey'] as const)
    checkDocumentPath(answer.buildKey?.[half], `answer.buildKey.${half}`, { workdir, folders: [settings.cacheDir] }, { regularFile: true });
  checkBootMedia(media.boot, arch);
  selectBackend(settings).checkHost(arch);

  const format: ImageFormat = settings.imageType;
  const diskPath = resolve(options.diskPath ?? join(workdir, `${safeName(template.name)}.${format}`));
  ensureDir(dirname(diskPath), 'disk directory');
  return {
    template,
    answer,
    media,
    workdir,
    arch,
    sizeBytes,
    format,
    bus: diskBusFor(settings.diskBus, template.os),
    firmware: options.firmware ?? 'bios',
    diskPath,
    partialDisk: join(dirname(diskPath), `.${diskPath.split('/').pop()}.partial-${process.pid}-${Math.random().toString(36).slice(2, 8)}`),
    consoleLog: join(workdir, 'install-console.log'),
  };
}
