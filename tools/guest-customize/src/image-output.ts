import { rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { execa } from 'execa';
import { OzkitError } from '@ozkit/errors';
import type { ImageFormat } from '@ozkit/build-document';

/** Bytes the file really occupies (sparse and trimmed blocks do not count). */
export async function allocatedBytes(path: string): Promise<number> {
  const s = await stat(path);
  return Math.min(s.blocks * 512, Math.max(s.size, s.blocks * 512));
}

async function qemuImg(args: string[], what: string, signal?: AbortSignal): Promise<void> {
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
    await qemuImg(['convert', '-f', source.format, '-O', format, ...(format === 'qcow2' ? ['-o', 'cluster_size=65536'] : []), source.path, target], `copying ${source.path}`, signal);
  } catch (error) {
    await rm(target, { force: true });
    throw error;
  }
}

/** `qemu-img convert -c`: a compressed qcow2 replacing `path` (atomically). */
export async function compressImage(path: string, format: ImageFormat, signal?: AbortSignal): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.compressing`);
  try {
    await qemuImg(['convert', '-c', '-f', format, '-O', 'qcow2', path, tmp], `compressing ${path}`, signal);
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}
