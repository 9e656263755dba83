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

/**
 * A qcow2 CD-ROM (iso-fetch's overlay) must name, as its raw backing file, the ISO the document
 * says (`isoBacking`); that one must be an ISO. The overlay's own clusters are not read here.
 */
export function checkIsoOverlay(path: string, backing: string | undefined, field: string): void {
  requireFile(path, field);
  const header = readAt(path, 0, 4096);
  if (header.length < 104 || header.toString('latin1', 0, 4) !== 'QFI\xfb')
    throw new OzkitError('BAD_MEDIA', `${field}: ${path} is not a qcow2 image (isoFormat says qcow2)`, { hint: 'rerun iso-fetch' });
  const nameAt = Number(header.readBigUInt64BE(8));
  const nameLength = header.readUInt32BE(16);
  const named = nameAt > 0 && nameAt + nameLength <= header.length ? header.toString('utf8', nameAt, nameAt + nameLength) : undefined;
  let format: string | undefined;
  // Header extensions follow the header: type, length, data padded to 8 bytes; type 0 ends them.
  for (let at = header.readUInt32BE(4) >= 3 ? header.readUInt32BE(100) : 72; at + 8 <= header.length;) {
    const type = header.readUInt32BE(at);
    const length = header.readUInt32BE(at + 4);
    if (type === 0) break;
    if (type === 0xe2792aca) format = header.toString('latin1', at + 8, at + 8 + length);
    at += 8 + Math.ceil(length / 8) * 8;
  }
  if (named === undefined || backing === undefined || named !== backing)
    throw new OzkitError('BAD_MEDIA', `${field}: ${path} is backed by ${named ?? 'nothing'}, not by media.boot.isoBacking (${backing ?? 'missing'})`, {
      hint: 'rerun iso-fetch',
    });
  if (format !== 'raw')
    throw new OzkitError('BAD_MEDIA', `${field}: ${path} does not record its backing file as raw (got ${format ?? 'no format'})`, { hint: 'rerun iso-fetch' });
  checkIso(backing, `${field.replace(/\.iso$/, '')}.isoBacking`);
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
  if (boot.method === 'kernel') {
    checkKernel(boot.kernel, 'media.boot.kernel', arch);
    checkInitrd(boot.initrd, 'media.boot.initrd');
  }
  if (boot.iso === undefined) return;
  if (boot.isoFormat === 'qcow2') checkIsoOverlay(boot.iso, boot.isoBacking, 'media.boot.iso');
  else checkIso(boot.iso, 'media.boot.iso');
}
