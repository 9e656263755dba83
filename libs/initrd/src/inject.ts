import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { gunzipSync, gzipSync } from 'node:zlib';
import { OzkitError } from '@ozkit/errors';
import { readNewc, writeNewc, type NewcEntry, type NewcMember } from './newc.js';

export interface InjectOptions {
  /** The initrd to extend (any compression: the kernel unpacks concatenated archives one after another). */
  source: string;
  /** Where the extended initrd goes; written to a temp file and renamed into place. */
  dest: string;
  /** Files to add; a file that already exists in the initrd is replaced (the later archive wins). */
  entries: NewcEntry[];
  signal?: AbortSignal;
}

/** The appended archive as one gzip member: what `gzip -c` of a newc cpio would produce. */
export function gzipMember(entries: NewcEntry[]): Buffer {
  return gzipSync(writeNewc(entries), { level: 9 });
}

/**
 * Copies `source` to `dest` and appends a gzip member holding a newc archive of `entries`,
 * the way Oz's `_initrd_inject_*` do — without unpacking the initrd or needing a cpio binary.
 * Returns the size of the original part (where the appended member starts).
 */
export async function injectIntoInitrd(options: InjectOptions): Promise<{ originalBytes: number; appendedBytes: number }> {
  const info = await stat(options.source).catch((error: NodeJS.ErrnoException) => {
    throw new OzkitError('INPUT_MISSING', `${options.source}: cannot read initrd: ${error.code ?? error.message}`);
  });
  if (!info.isFile()) throw new OzkitError('BAD_MEDIA', `${options.source}: initrd is not a regular file`);
  await checkInitrdMagic(options.source);
  const member = gzipMember(options.entries);
  const tmp = join(dirname(options.dest), `.${basename(options.dest)}.${process.pid}.tmp`);
  try {
    const out = createWriteStream(tmp, { mode: 0o644 });
    await pipeline(createReadStream(options.source), out, { end: false, signal: options.signal });
    await new Promise<void>((resolve, reject) => {
      out.on('error', reject);
      out.end(member, () => resolve());
    });
    await rename(tmp, options.dest);
  } catch (error) {
    await rm(tmp, { force: true });
    if (error instanceof OzkitError) throw error;
    const e = error as NodeJS.ErrnoException;
    if (e.name === 'AbortError') throw error;
    throw new OzkitError(e.code === 'ENOSPC' ? 'NO_SPACE' : 'IO', `${options.dest}: cannot write initrd: ${e.code ?? e.message}`, { cause: error });
  }
  return { originalBytes: info.size, appendedBytes: member.length };
}

const MAGICS: { name: string; bytes: number[] }[] = [
  { name: 'gzip', bytes: [0x1f, 0x8b] },
  { name: 'xz', bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] },
  { name: 'zstd', bytes: [0x28, 0xb5, 0x2f, 0xfd] },
  { name: 'lz4', bytes: [0x02, 0x21, 0x4c, 0x18] },
  { name: 'lzma', bytes: [0x5d, 0x00, 0x00] },
  { name: 'bzip2', bytes: [0x42, 0x5a, 0x68] },
  { name: 'cpio', bytes: [0x30, 0x37, 0x30, 0x37, 0x30] },
];

/** What an initrd starts with (`cpio` for an uncompressed archive, e.g. early microcode). */
export function initrdFormat(head: Buffer): string | undefined {
  return MAGICS.find((m) => m.bytes.every((b, i) => head[i] === b))?.name;
}

async function checkInitrdMagic(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(8);
    await fh.read(head, 0, 8, 0);
    if (!initrdFormat(head))
      throw new OzkitError('BAD_MEDIA', `${path}: not an initrd (neither a cpio archive nor gzip/xz/zstd/lz4/lzma/bzip2 data)`, {
        hint: 'the kernel/initrd pair found on the media may be of another kind (e.g. a boot loader image)',
      });
  } finally {
    await fh.close();
  }
}

/**
 * Lists the members of an initrd made of uncompressed newc archives followed by gzip members
 * (what the kernel would unpack, in order). Other compressions are reported, not decoded.
 */
export function listInitrd(buffer: Buffer): NewcMember[] {
  let pos = 0;
  const members: NewcMember[] = [];
  while (pos < buffer.length) {
    if (buffer[pos] === 0) {
      pos++;
      continue;
    }
    const format = initrdFormat(buffer.subarray(pos, pos + 8));
    if (format === 'cpio') {
      const end = endOfNewc(buffer, pos);
      members.push(...readNewc(buffer.subarray(pos, end)));
      pos = end;
      continue;
    }
    if (format === 'gzip') {
      members.push(...readNewc(gunzipSync(buffer.subarray(pos))));
      return members;
    }
    throw new Error(`initrd part at offset ${pos} is ${format ?? 'of an unknown format'}; only cpio and gzip parts can be listed`);
  }
  return members;
}

/** The offset just past the trailer of the newc archive starting at `start`. */
function endOfNewc(buffer: Buffer, start: number): number {
  let pos = start;
  for (;;) {
    const field = (i: number) => parseInt(buffer.toString('ascii', pos + 6 + i * 8, pos + 14 + i * 8), 16);
    const filesize = field(6);
    const namesize = field(11);
    const name = buffer.toString('utf8', pos + 110, pos + 110 + namesize - 1);
    let p = pos + 110 + namesize;
    p += (4 - ((p - start) % 4)) % 4;
    p += filesize;
    p += (4 - ((p - start) % 4)) % 4;
    pos = p;
    if (name === 'TRAILER!!!' || pos >= buffer.length) return pos;
  }
}
