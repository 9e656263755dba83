import { rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { OzkitError } from '@ozkit/errors';
import type { Customize, Disk, ImageFormat, OutputFormat } from '@ozkit/build-document';
import { safeName } from '@ozkit/config';
import type { Logger } from '@ozkit/log';
import { allocatedBytes, makeWorkingCopy, partialPath, writeOutputImage } from './image-output.js';
import { conversionFor, OUTPUT_EXTENSIONS, type Conversion } from './output-format.js';

/** The image being customized: a copy of the installed disk under a temporary name. */
export interface WorkingImage {
  /** The temporary name while customizing. */
  working: string;
  /** Where it goes on success. */
  output: string;
  /** The working copy's format (the installed disk's). */
  format: ImageFormat;
  virtualSize: number;
  /** How the output is written: absent when the working copy is renamed as it is. */
  conversion?: Conversion;
  /** Allocated bytes of the installed disk. */
  inputBytes: number;
}

/** The output format: --output-format / [ozkit] output_format, else qcow2 when compressing, else the installed disk's. */
export function outputFormatFor(disk: Pick<Disk, 'format'>, asked: OutputFormat | undefined, compress: boolean): OutputFormat {
  return asked ?? (compress ? 'qcow2' : disk.format);
}

/**
 * Step 1: copies the installed disk (backing files merged in) so it is never written. The copy
 * keeps the disk's format while the guest runs; step 9 writes the output format from it.
 */
export async function copyInstalledDisk(
  disk: Disk,
  target: { workdir: string; name: string; output?: string; compress?: boolean; outputFormat?: OutputFormat },
  logger: Logger,
  signal?: AbortSignal,
): Promise<WorkingImage> {
  const compress = Boolean(target.compress);
  const outputFormat = outputFormatFor(disk, target.outputFormat, compress);
  const output = resolve(target.output ?? join(target.workdir, `${safeName(target.name)}-customized.${OUTPUT_EXTENSIONS[outputFormat]}`));
  const working = partialPath(output);
  const conversion = outputFormat === disk.format && !compress ? undefined : conversionFor(outputFormat, compress, disk.virtualSize);
  // Said before the guest boots, not after: the build goes on, uncompressed.
  if (conversion?.compressionRefused) logger.warn(`--compress does not apply: ${conversion.compressionRefused}; writing it uncompressed`);
  const inputBytes = await allocatedBytes(disk.path).catch(() => {
    throw new OzkitError('INPUT_MISSING', `${disk.path}: the installed disk is missing`, { hint: 'run guest-install again' });
  });
  logger.info(`copying ${disk.path} to ${working}`);
  await makeWorkingCopy({ path: disk.path, format: disk.format }, working, disk.format, signal);
  return { working, output, format: disk.format, virtualSize: disk.virtualSize, ...(conversion ? { conversion } : {}), inputBytes };
}

/** Step 9: the customized image under its final name, in its output format; its sizes. */
export async function finishImage(image: WorkingImage, logger: Logger, signal?: AbortSignal): Promise<Customize['image']> {
  const bytesBefore = await allocatedBytes(image.working);
  const conversion = image.conversion;
  if (!conversion) {
    await rename(image.working, image.output);
  } else {
    logger.info(
      `${conversion.compressFlag ? 'compressing' : 'converting'} ${image.output} (${conversion.format}${conversion.subformat ? ` ${conversion.subformat}` : ''})`,
    );
    await writeOutputImage({ path: image.working, format: image.format, virtualSize: image.virtualSize }, image.output, conversion, logger, signal);
    await rm(image.working, { force: true });
  }
  const bytesAfter = await allocatedBytes(image.output);
  const compressed = conversion?.compressed ?? false;
  logger.info(`customized image: ${image.output} (${formatMiB(bytesAfter)}${compressed ? `, ${formatMiB(bytesBefore)} before compression` : ''})`);
  return {
    path: image.output,
    format: conversion?.format ?? image.format,
    ...(conversion?.subformat ? { subformat: conversion.subformat } : {}),
    virtualSize: conversion?.virtualSize ?? image.virtualSize,
    bytesBefore,
    bytesAfter,
    compressed,
  };
}

function formatMiB(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}
