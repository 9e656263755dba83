import { openSync, readSync, closeSync, statSync } from 'node:fs';
import { OzkitError } from '@ozkit/errors';
import type { BootMedia } from '@ozkit/build-document';

function readAt(path: string, offset: number, length: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const n = readSync(fd, buffer, 0, length, offset);
    return buffer.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** The file a field names must be there and not empty (runStage has checked that it is an absolute path). */
function requireFile(path: string, field: string): string {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new OzkitError('BAD_MEDIA', `${field}: ${path} is not a regular file`);
    size = st.size;
  } catch (error) {
    if (error instanceof OzkitError) throw error;
    throw new OzkitError('INPUT_MISSING', `${field}: ${path}: no such file`, { hint: 'rerun iso-fetch (the workdir or cache may have been cleaned)' });
  }
  if (size === 0) throw new OzkitError('BAD_MEDIA', `${field}: ${path} is empty`, { hint: 'rerun iso-fetch' });
  return path;
}

/** An ISO 9660 image has "CD001" at byte 0x8001 (the primary volume descriptor). */
export function checkIso(path: string, field: string): void {
  requireFile(path, field);
  if (readAt(path, 0x8001, 5).toString('latin1') !== 'CD001') {
    throw new OzkitError('BAD_MEDIA', `${field}: ${path} is not an ISO 9660 image (no CD001 volume descriptor)`, {
      hint: 'the download may be damaged or not an installer ISO; rerun iso-fetch',
    });
  }
}

/** An x86 Linux kernel (bzImage) has "HdrS" at 0x202; other arches are not checked. */
export function checkKernel(path: string, field: string, arch: string): void {
  requireFile(path, field);
  if ((arch === 'x86_64' || arch === 'i386') && readAt(path, 0x202, 4).toString('latin1') !== 'HdrS') {
    throw new OzkitError('BAD_MEDIA', `${field}: ${path} is not a Linux kernel image (no bzImage header)`, { hint: 'rerun iso-fetch' });
  }
}

const initrdMagics: Buffer[] = [
  Buffer.from([0x1f, 0x8b]), // gzip
  Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a]), // xz
  Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), // zstd
  Buffer.from('070701'), // newc cpio
  Buffer.from('070702'),
  Buffer.from([0x02, 0x21, 0x4c, 0x18]), // lz4
  Buffer.from('BZh'),
  Buffer.from([0x5d, 0x00, 0x00]), // lzma
  Buffer.from([0x89, 0x4c, 0x5a, 0x4f]), // lzop
];

export function checkInitrd(path: string, field: string): void {
  requireFile(path, field);
  const head = readAt(path, 0, 8);
  if (!initrdMagics.some((m) => head.subarray(0, m.length).equals(m))) {
    throw new OzkitError('BAD_MEDIA', `${field}: ${path} is not an initrd (not cpio, gzip, xz, zstd, lz4, bzip2, lzma or lzo)`, { hint: 'rerun iso-fetch' });
  }
}

/** Refuses boot media QEMU would fail on, with a message naming the field and file. */
export function checkBootMedia(boot: BootMedia, arch: string): void {
  if (boot.method === 'iso') {
    checkIso(boot.iso, 'media.boot.iso');
  } else {
    checkKernel(boot.kernel, 'media.boot.kernel', arch);
    checkInitrd(boot.initrd, 'media.boot.initrd');
    if (boot.iso !== undefined) checkIso(boot.iso, 'media.boot.iso');
  }
}
