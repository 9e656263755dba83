import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { cloneFile } from '@ozkit/cache';
import { OzkitError } from '@ozkit/errors';
import { appendSession, type IsoChange, type IsoInfo } from './iso-image.js';

const BLOCK = 2048;

/** Bytes of the grown image that differ from the original: overwritten ranges inside it, and what follows its end. */
export interface SessionDelta {
  /** Ranges inside the original's length that the new session overwrote (the superblock at LBA 0-31, in practice). */
  patches: { offset: number; data: Buffer }[];
  /** Everything from the original's end on: the new session. */
  tail: Buffer;
  /** Length of the original image. */
  baseBytes: number;
}

/**
 * What appending a session to a copy of `iso` would change, found without copying the image:
 * xorriso grows a sparse scratch file that holds only what it reads of the old session
 * (system area, volume descriptors, directories, boot catalog and the boot images it patches,
 * `info.readBootImages`) and holes where regular files' data lies; growing never reads or rewrites old
 * file data. (A unit test grows a full copy for every layout: a hole xorriso did read would show.)
 */
export async function sessionDelta(
  iso: string,
  /** What inspectIso read of `iso`: its volume id, the boot images xorriso reads, where file data lies. */
  info: Pick<IsoInfo, 'volumeId' | 'readBootImages' | 'extents'>,
  changes: IsoChange[],
  scratchDir: string,
  signal?: AbortSignal,
): Promise<SessionDelta> {
  const baseBytes = (await stat(iso)).size;
  const keepData = new Set(info.readBootImages);
  const holes = info.extents
    .filter((e) => !keepData.has(e.path))
    .map((e) => ({ start: e.lba * BLOCK, end: Math.min(baseBytes, (e.lba + e.blocks) * BLOCK) }))
    .filter((h) => h.end > h.start)
    .sort((a, b) => a.start - b.start);
  const kept: { start: number; end: number }[] = [];
  let at = 0;
  for (const h of holes) {
    if (h.start > at) kept.push({ start: at, end: h.start });
    at = Math.max(at, h.end);
  }
  if (at < baseBytes) kept.push({ start: at, end: baseBytes });

  const dir = await mkdtemp(join(scratchDir, 'grow-'));
  const scratch = join(dir, 'sparse.iso');
  try {
    const source = await open(iso, 'r');
    const copy = await open(scratch, 'w', 0o600);
    try {
      await copy.truncate(baseBytes);
      for (const r of kept) await copyRange(source, copy, r.start, r.end);
    } finally {
      await copy.close();
    }
    await appendSession(scratch, info.volumeId, changes, signal);
    const grown = await open(scratch, 'r');
    try {
      const patches: SessionDelta['patches'] = [];
      for (const r of kept) patches.push(...(await differences(source, grown, r.start, r.end)));
      const grownBytes = (await grown.stat()).size;
      if (grownBytes < baseBytes) throw new OzkitError('INTERNAL', `${iso}: the grown image is shorter than the original`);
      const tail = Buffer.alloc(grownBytes - baseBytes);
      await readFully(grown, tail, baseBytes);
      return { patches, tail, baseBytes };
    } finally {
      await grown.close();
      await source.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Writes the grown image to `dest` and returns its sha256: the kernel copies the original
 * (cp: copy_file_range or a reflink) from the start, while the delta is worked out and then
 * the original is hashed with the delta applied, so the result is never read back; last the
 * delta is written over the copy.
 */
export async function writeGrownCopy(iso: string, dest: string, delta: SessionDelta | (() => Promise<SessionDelta>), signal?: AbortSignal): Promise<string> {
  const copying = cloneFile(iso, dest);
  let found: SessionDelta;
  let sha256: string;
  try {
    found = typeof delta === 'function' ? await delta() : delta;
    sha256 = await hashWithDelta(iso, found, signal);
  } catch (error) {
    await copying.catch(() => undefined);
    throw error;
  }
  await copying;
  const out = await open(dest, 'r+');
  try {
    for (const p of found.patches) await out.write(p.data, 0, p.data.length, p.offset);
    await out.write(found.tail, 0, found.tail.length, found.baseBytes);
    const size = (await out.stat()).size;
    if (size !== found.baseBytes + found.tail.length)
      throw new OzkitError('IO', `${dest}: grown image is ${size} bytes, expected ${found.baseBytes + found.tail.length}`);
  } finally {
    await out.close();
  }
  return sha256;
}

async function hashWithDelta(iso: string, delta: SessionDelta, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  let position = 0;
  for await (const piece of createReadStream(iso, { highWaterMark: 4 << 20, end: delta.baseBytes - 1, signal })) {
    const chunk = piece as Buffer;
    const end = position + chunk.length;
    for (const p of delta.patches) {
      const from = Math.max(p.offset, position);
      const to = Math.min(p.offset + p.data.length, end);
      if (from < to) p.data.copy(chunk, from - position, from - p.offset, to - p.offset);
    }
    hash.update(chunk);
    position = end;
  }
  if (position !== delta.baseBytes) throw new OzkitError('IO', `${iso}: changed while being read (${position} of ${delta.baseBytes} bytes)`);
  hash.update(delta.tail);
  return hash.digest('hex');
}

type Handle = Awaited<ReturnType<typeof open>>;

async function copyRange(from: Handle, to: Handle, start: number, end: number): Promise<void> {
  const buf = Buffer.alloc(Math.min(1 << 20, end - start));
  for (let at = start; at < end;) {
    const n = Math.min(buf.length, end - at);
    await readFully(from, buf.subarray(0, n), at);
    await to.write(buf, 0, n, at);
    at += n;
  }
}

/** Ranges (whole 2 KiB blocks) where `b` differs from `a` between start and end. */
async function differences(a: Handle, b: Handle, start: number, end: number): Promise<{ offset: number; data: Buffer }[]> {
  const found: { offset: number; data: Buffer }[] = [];
  const size = Math.min(1 << 20, end - start);
  const x = Buffer.alloc(size);
  const y = Buffer.alloc(size);
  for (let at = start; at < end;) {
    const n = Math.min(size, end - at);
    await readFully(a, x.subarray(0, n), at);
    await readFully(b, y.subarray(0, n), at);
    for (let block = 0; block < n; block += BLOCK) {
      const blockEnd = Math.min(block + BLOCK, n);
      if (x.subarray(block, blockEnd).equals(y.subarray(block, blockEnd))) continue;
      const last = found.at(-1);
      if (last && last.offset + last.data.length === at + block) last.data = Buffer.concat([last.data, y.subarray(block, blockEnd)]);
      else found.push({ offset: at + block, data: Buffer.from(y.subarray(block, blockEnd)) });
    }
    at += n;
  }
  return found;
}

async function readFully(fh: Handle, buf: Buffer, position: number): Promise<void> {
  for (let done = 0; done < buf.length;) {
    const { bytesRead } = await fh.read(buf, done, buf.length - done, position + done);
    if (bytesRead === 0) throw new OzkitError('IO', `unexpected end of file at byte ${position + done}`);
    done += bytesRead;
  }
}
