import { rename } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { OzkitError } from '@ozkit/errors';
import type { Customize, Disk, ImageFormat } from '@ozkit/build-document';
import { safeName } from '@ozkit/config';
import type { Logger } from '@ozkit/log';
import { allocatedBytes, compressImage, makeWorkingCopy, partialPath } from './image-output.js';

/** The image being customized: a copy of the installed disk under a temporary name. */
export interface WorkingImage {
  /** The temporary name while customizing. */
  working: string;
  /** Where it goes on success. */
  output: string;
  format: ImageFormat;
  /** Allocated bytes of the installed disk. */
  inputBytes: number;
}

/**
 * Step 1: copies the installed disk (backing files merged in) so it is never written. A raw
 * disk that ends up compressed is customized as qcow2 already, so the name fits throughout.
 */
export async function copyInstalledDisk(
  disk: Disk,
  target: { workdir: string; name: string; output?: string; compress?: boolean },
  logger: Logger,
  signal?: AbortSignal,
): Promise<WorkingImage> {
  const format: ImageFormat = target.compress ? 'qcow2' : disk.format;
  const ext = format === 'raw' ? 'raw' : 'qcow2';
  const output = resolve(target.output ?? join(target.workdir, `${safeName(target.name)}-customized.${ext}`));
  const working = partialPath(output);
  const inputBytes = await allocatedBytes(disk.path).catch(() => {
    throw new OzkitError('INPUT_MISSING', `${disk.path}: the installed disk is missing`, { hint: 'run guest-install again' });
  });
  logger.info(`copying ${disk.path} to ${working}`);
  await makeWorkingCopy({ path: disk.path, format: disk.format }, working, format, signal);
  return { working, output, format, inputBytes };
}

/** Step 9: the customized image under its final name, compressed if asked; its sizes. */
export async function finishImage(image: WorkingImage, compress: boolean, logger: Logger, signal?: AbortSignal): Promise<Customize['image']> {
  await rename(image.working, image.output);
  const bytesBefore = await allocatedBytes(image.output);
  let format = image.format;
  if (compress) {
    logger.info(`compressing ${image.output}`);
    await compressImage(image.output, image.format, signal);
    format = 'qcow2';
  }
  const bytesAfter = await allocatedBytes(image.output);
  logger.info(`customized image: ${image.output} (${formatMiB(bytesAfter)}${compress ? `, ${formatMiB(bytesBefore)} before compression` : ''})`);
  return { path: image.output, format, bytesBefore, bytesAfter, compressed: compress };
}

function formatMiB(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}
