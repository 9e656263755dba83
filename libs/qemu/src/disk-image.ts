import { execa } from 'execa';
import { OzkitError } from '@ozkit/errors';
import { requireQemuImg } from './programs.js';

export type DiskFormat = 'qcow2' | 'raw';

export interface CreateDiskOptions {
  /** A backing image: the new qcow2 is an overlay on it (copy-on-write). */
  backing?: { path: string; format: DiskFormat };
  signal?: AbortSignal;
}

/** Creates a sparse disk image with qemu-img (qcow2 or raw) of `sizeBytes` virtual bytes. */
export async function createDisk(path: string, format: DiskFormat, sizeBytes: number, options: CreateDiskOptions = {}): Promise<void> {
  if (!Number.isSafeInteger(sizeBytes) || sizeBytes <= 0) {
    throw new OzkitError('BAD_DOCUMENT', `disk size must be a positive number of bytes, got ${sizeBytes}`);
  }
  const args = ['create', '-q', '-f', format];
  if (options.backing) {
    if (format !== 'qcow2') throw new OzkitError('INTERNAL', 'only qcow2 images can have a backing file');
    args.push('-b', options.backing.path, '-F', options.backing.format);
  }
  if (format === 'qcow2') args.push('-o', 'lazy_refcounts=on');
  args.push(path, String(sizeBytes));
  const result = await execa(requireQemuImg(), args, { reject: false, cancelSignal: options.signal, stdin: 'ignore' });
  if (result.exitCode !== 0) {
    throw new OzkitError(/No space/i.test(result.stderr) ? 'NO_SPACE' : 'IO', `qemu-img create ${path} failed: ${result.stderr.trim() || result.shortMessage}`);
  }
}

export interface DiskInfo {
  format: string;
  virtualSize: number;
  actualSize: number;
  backingFile?: string;
}

export async function diskInfo(path: string, signal?: AbortSignal): Promise<DiskInfo> {
  const result = await execa(requireQemuImg(), ['info', '-U', '--output=json', path], { reject: false, cancelSignal: signal, stdin: 'ignore' });
  if (result.exitCode !== 0) throw new OzkitError('BAD_IMAGE', `qemu-img info ${path}: ${result.stderr.trim()}`);
  const info = JSON.parse(result.stdout) as { format: string; 'virtual-size': number; 'actual-size': number; 'backing-filename'?: string };
  return { format: info.format, virtualSize: info['virtual-size'], actualSize: info['actual-size'], backingFile: info['backing-filename'] };
}
