import { rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { execa } from 'execa';
import { OzkitError } from '@ozkit/errors';
import type { ImageFormat } from '@ozkit/build-document';
import { ProgressBar, type Logger } from '@ozkit/log';
import { conversionCommands, conversionProblems, type Conversion, type ImageInfo } from './output-format.js';

/** Bytes the file really occupies (sparse and trimmed blocks do not count). */
export async function allocatedBytes(path: string): Promise<number> {
  const s = await stat(path);
  return Math.min(s.blocks * 512, Math.max(s.size, s.blocks * 512));
}

async function qemuImg(args: string[], what: string, signal?: AbortSignal): Promise<string> {
  let result;
  try {
    result = await execa('qemu-img', args, { reject: false, cancelSignal: signal, stdin: 'ignore' });
  } catch (error) {
    throw new OzkitError('PROGRAM_MISSING', `qemu-img not found: ${(error as Error).message}`, { hint: 'apt-get install qemu-utils' });
  }
  if (signal?.aborted) throw signal.reason;
  if ((result as { code?: string }).code === 'ENOENT' || (result.failed && result.exitCode === undefined))
    throw new OzkitError('PROGRAM_MISSING', 'qemu-img not found', { hint: 'apt-get install qemu-utils' });
  if (result.exitCode !== 0) throw new OzkitError('IO', `${what}: qemu-img ${args.join(' ')}: ${String(result.stderr).trim()}`);
  return String(result.stdout);
}

/** The temporary name the image has while it is being customized (renamed to `path` on success). */
export function partialPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.partial`);
}

/**
 * A standalone copy of the installed disk to customize: backing files (a JEOS-cache overlay)
 * are merged in and zero blocks stay sparse, so the installed disk stays reusable for a re-run.
 */
export async function makeWorkingCopy(source: { path: string; format: ImageFormat }, target: string, format: ImageFormat, signal?: AbortSignal): Promise<void> {
  await rm(target, { force: true });
  try {
    await qemuImg(
      ['convert', '-f', source.format, '-O', format, ...(format === 'qcow2' ? ['-o', 'cluster_size=65536'] : []), source.path, target],
      `copying ${source.path}`,
      signal,
    );
  } catch (error) {
    await rm(target, { force: true });
    throw error;
  }
}

/**
 * The customized image in its output format (`conversion`), written under a temporary name
 * and renamed to `output` only once `qemu-img check` (where the format has one) and
 * `qemu-img info` agree it is what was asked for: a failed or wrong conversion leaves nothing.
 */
export async function writeOutputImage(
  source: { path: string; format: ImageFormat; virtualSize: number },
  output: string,
  conversion: Conversion,
  logger: Logger,
  signal?: AbortSignal,
): Promise<void> {
  const tmp = join(dirname(output), `.${basename(output)}.converting`);
  const what = `${conversion.compressFlag ? 'compressing' : 'converting'} ${source.path} to ${conversion.format}`;
  const progress = new ProgressBar(logger, { label: conversion.compressFlag ? 'compressing' : `converting to ${conversion.format}`, verb: 'written' });
  const poll = setInterval(
    () =>
      void allocatedBytes(tmp).then(
        (n) => progress.update(n),
        () => undefined,
      ),
    1000,
  );
  try {
    await rm(tmp, { force: true });
    for (const args of conversionCommands(conversion, source, tmp)) await qemuImg(args, what, signal);
    if (conversion.checkable) await qemuImg(['check', '-q', '-f', conversion.format, tmp], `checking the ${conversion.format} image`, signal);
    const info = JSON.parse(await qemuImg(['info', '--output=json', '-f', conversion.format, tmp], `reading the ${conversion.format} image`, signal)) as ImageInfo;
    const problems = conversionProblems(conversion, info, source.virtualSize);
    if (problems.length) throw new OzkitError('INTERNAL', `${what}: the result is not what was asked for: ${problems.join('; ')}`);
    await rename(tmp, output);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  } finally {
    clearInterval(poll);
    progress.done();
  }
}
