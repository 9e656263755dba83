/**
 * The "newc" cpio format (SVR4, no CRC) the Linux kernel unpacks as an initramfs:
 * a 110-byte ASCII header per entry, name and data each padded to 4 bytes, ended by
 * a `TRAILER!!!` entry.
 */

export interface NewcEntry {
  /** Path inside the archive, without a leading slash (one is stripped if given). */
  name: string;
  type: 'file' | 'directory' | 'symlink';
  /** Permission bits (e.g. 0o644); the type bits are added from `type`. */
  mode?: number;
  /** File contents, or the link target for a symlink. */
  data?: Buffer | string;
  uid?: number;
  gid?: number;
  /** Seconds since the epoch; 0 keeps archives reproducible. */
  mtime?: number;
}

const TYPE_BITS = { file: 0o100000, directory: 0o040000, symlink: 0o120000 } as const;
const TRAILER = 'TRAILER!!!';

function hex8(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`cpio field out of range: ${n}`);
  return n.toString(16).padStart(8, '0');
}

function pad4(length: number): Buffer {
  return Buffer.alloc((4 - (length % 4)) % 4);
}

function header(fields: { ino: number; mode: number; uid: number; gid: number; nlink: number; mtime: number; filesize: number; namesize: number }): string {
  return (
    '070701' +
    hex8(fields.ino) +
    hex8(fields.mode) +
    hex8(fields.uid) +
    hex8(fields.gid) +
    hex8(fields.nlink) +
    hex8(fields.mtime) +
    hex8(fields.filesize) +
    hex8(0) + // devmajor
    hex8(0) + // devminor
    hex8(0) + // rdevmajor
    hex8(0) + // rdevminor
    hex8(fields.namesize) +
    hex8(0) // check (unused by newc)
  );
}

/** The parent directories an archive must create before `name` (`a/b/c` → `a`, `a/b`). */
export function parentDirectories(name: string): string[] {
  const parts = normalizeName(name).split('/');
  const out: string[] = [];
  for (let i = 1; i < parts.length; i++) out.push(parts.slice(0, i).join('/'));
  return out;
}

function normalizeName(name: string): string {
  const n = name.replace(/^\/+/, '').replace(/\/+$/, '');
  if (n === '' || n.split('/').some((p) => p === '..' || p === '' || p === '.')) throw new RangeError(`invalid cpio member name: ${JSON.stringify(name)}`);
  return n;
}

/**
 * One complete newc archive (with trailer) holding `entries`. Missing parent directories
 * are added first so the kernel can create the files.
 */
export function writeNewc(entries: NewcEntry[]): Buffer {
  const parts: Buffer[] = [];
  const seen = new Set<string>();
  let ino = 721;
  let offset = 0;
  const push = (b: Buffer) => {
    parts.push(b);
    offset += b.length;
  };
  const emit = (name: string, mode: number, data: Buffer, entry: Partial<NewcEntry>, nlink: number) => {
    const nameBytes = Buffer.from(name + '\0', 'utf8');
    const head = Buffer.from(
      header({
        ino: name === TRAILER ? 0 : ino++,
        mode,
        uid: entry.uid ?? 0,
        gid: entry.gid ?? 0,
        nlink,
        mtime: entry.mtime ?? 0,
        filesize: data.length,
        namesize: nameBytes.length,
      }),
      'ascii',
    );
    push(head);
    push(nameBytes);
    push(pad4(offset));
    push(data);
    push(pad4(offset));
  };
  const all: NewcEntry[] = [];
  for (const entry of entries) {
    for (const dir of parentDirectories(entry.name)) {
      if (!entries.some((e) => normalizeName(e.name) === dir) && !all.some((e) => e.name === dir)) all.push({ name: dir, type: 'directory', mode: 0o755 });
    }
    all.push({ ...entry, name: normalizeName(entry.name) });
  }
  for (const entry of all) {
    if (seen.has(entry.name)) throw new RangeError(`duplicate cpio member: ${entry.name}`);
    seen.add(entry.name);
    const mode = TYPE_BITS[entry.type] | ((entry.mode ?? (entry.type === 'directory' ? 0o755 : 0o644)) & 0o7777);
    const data = entry.type === 'directory' ? Buffer.alloc(0) : typeof entry.data === 'string' ? Buffer.from(entry.data, 'utf8') : (entry.data ?? Buffer.alloc(0));
    emit(entry.name, mode, data, entry, entry.type === 'directory' ? 2 : 1);
  }
  emit(TRAILER, 0, Buffer.alloc(0), {}, 1);
  return Buffer.concat(parts);
}

export interface NewcMember {
  name: string;
  mode: number;
  type: 'file' | 'directory' | 'symlink' | 'other';
  data: Buffer;
}

/**
 * Reads every member of one or more concatenated uncompressed newc archives (zero padding
 * between them is skipped, as the kernel does). Later members with the same name win when
 * unpacked, so callers that want "what the kernel sees" should take the last one.
 */
export function readNewc(buffer: Buffer): NewcMember[] {
  const out: NewcMember[] = [];
  let pos = 0;
  while (pos < buffer.length) {
    if (buffer[pos] === 0) {
      pos++;
      continue;
    }
    const magic = buffer.toString('ascii', pos, pos + 6);
    if (magic !== '070701' && magic !== '070702') throw new Error(`not a newc archive at offset ${pos} (magic ${JSON.stringify(magic)})`);
    const field = (i: number) => parseInt(buffer.toString('ascii', pos + 6 + i * 8, pos + 14 + i * 8), 16);
    const mode = field(1);
    const filesize = field(6);
    const namesize = field(11);
    const nameStart = pos + 110;
    const name = buffer.toString('utf8', nameStart, nameStart + namesize - 1);
    let dataStart = nameStart + namesize;
    dataStart += (4 - (dataStart % 4)) % 4;
    const data = buffer.subarray(dataStart, dataStart + filesize);
    pos = dataStart + filesize;
    pos += (4 - (pos % 4)) % 4;
    if (name === TRAILER) continue;
    const typeBits = mode & 0o170000;
    const type = typeBits === 0o100000 ? 'file' : typeBits === 0o040000 ? 'directory' : typeBits === 0o120000 ? 'symlink' : 'other';
    out.push({ name, mode: mode & 0o7777, type, data: Buffer.from(data) });
  }
  return out;
}
