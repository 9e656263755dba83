import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { OzkitError } from '@ozkit/errors';

/** 64 KiB, qemu-img's default: the head patch of a grown ISO (LBA 0-31) is exactly one cluster. */
const CLUSTER_BITS = 16;
const CLUSTER = 1 << CLUSTER_BITS;
/** refcount_order 4: 16-bit refcounts, as qemu-img writes them. */
const REFCOUNTS_PER_BLOCK = CLUSTER / 2;
const ENTRIES_PER_TABLE = CLUSTER / 8;
/** Bit 63 of L1/L2 entries: the cluster's refcount is exactly one (writes need no copy). */
const COPIED = 1n << 63n;
const HEADER_LENGTH = 104;
const BACKING_FORMAT_EXTENSION = 0xe2792aca;

export interface OverlayInput {
  /** The raw image the overlay is backed by (absolute: QEMU resolves a relative name against the overlay's folder). */
  backing: string;
  backingBytes: number;
  /** Size of the medium the overlay presents. */
  virtualBytes: number;
  /** Where the medium differs from the backing file (or lies past its end): sorted, not overlapping. */
  ranges: { offset: number; data: Buffer }[];
  dest: string;
}

export interface OverlayResult {
  /** sha256 of the overlay file, computed from the bytes as they were written. */
  sha256: string;
  bytes: number;
}

/**
 * Writes a qcow2 (v3) overlay on a raw backing file holding only the clusters the ranges touch,
 * in one sequential pass, hashing what it writes. Layout: header and backing name, L1 table,
 * refcount table, refcount blocks, L2 tables, data clusters; every cluster has refcount 1.
 * A touched cluster's bytes outside the ranges are read from the backing file (zeros past its
 * end), as QEMU's own copy-on-write would; clusters wholly past the backing's end that are all
 * zeros stay unallocated (they read as zeros anyway).
 */
export async function writeQcow2Overlay(input: OverlayInput): Promise<OverlayResult> {
  const { backing, backingBytes, virtualBytes, ranges } = input;
  if (!isAbsolute(backing)) throw new OzkitError('INTERNAL', `qcow2 backing file must be an absolute path: ${backing}`);
  const name = Buffer.from(backing, 'utf8');
  if (name.length > 1023) throw new OzkitError('IO', `${backing}: path too long for a qcow2 backing file name (1023 bytes at most)`);
  if (virtualBytes % 512 !== 0) throw new OzkitError('INTERNAL', `qcow2 virtual size ${virtualBytes} is not a multiple of 512`);
  let end = 0;
  for (const r of ranges) {
    if (r.offset < end || r.offset + r.data.length > virtualBytes)
      throw new OzkitError('INTERNAL', 'qcow2 overlay ranges overlap, are unsorted or lie past the end');
    end = r.offset + r.data.length;
  }

  const source = await open(backing, 'r');
  try {
    // Guest clusters with their final content, in guest order.
    const clusters: { guest: number; data: Buffer }[] = [];
    let done = -1;
    for (const [i, r] of ranges.entries()) {
      if (r.data.length === 0) continue;
      const last = Math.floor((r.offset + r.data.length - 1) / CLUSTER);
      // A cluster an earlier range reached already has this range's bytes too.
      for (let guest = Math.max(done + 1, Math.floor(r.offset / CLUSTER)); guest <= last; guest++) {
        const data = await clusterContent(source, backingBytes, guest, ranges, i);
        done = guest;
        if (guest * CLUSTER >= backingBytes && isAllZero(data)) continue;
        clusters.push({ guest, data });
      }
    }

    const l1Entries = Math.ceil(virtualBytes / CLUSTER / ENTRIES_PER_TABLE);
    const l1Clusters = Math.max(1, Math.ceil((l1Entries * 8) / CLUSTER));
    const l2Indexes = [...new Set(clusters.map((c) => Math.floor(c.guest / ENTRIES_PER_TABLE)))];
    // Refcount blocks cover every host cluster, themselves included: find the fixed point.
    let refcountBlocks = 1;
    let refcountTableClusters = 1;
    let total = 0;
    for (;;) {
      total = 1 + l1Clusters + refcountTableClusters + refcountBlocks + l2Indexes.length + clusters.length;
      const blocks = Math.ceil(total / REFCOUNTS_PER_BLOCK);
      const tableClusters = Math.ceil((blocks * 8) / CLUSTER);
      if (blocks === refcountBlocks && tableClusters === refcountTableClusters) break;
      refcountBlocks = blocks;
      refcountTableClusters = tableClusters;
    }
    const l1At = 1;
    const refcountTableAt = l1At + l1Clusters;
    const refcountBlocksAt = refcountTableAt + refcountTableClusters;
    const l2At = refcountBlocksAt + refcountBlocks;
    const dataAt = l2At + l2Indexes.length;

    const header = Buffer.alloc(CLUSTER);
    header.write('QFI\xfb', 0, 'latin1');
    header.writeUInt32BE(3, 4);
    const extensionsAt = HEADER_LENGTH;
    const nameAt = extensionsAt + 16 + 8;
    header.writeBigUInt64BE(BigInt(nameAt), 8);
    header.writeUInt32BE(name.length, 16);
    header.writeUInt32BE(CLUSTER_BITS, 20);
    header.writeBigUInt64BE(BigInt(virtualBytes), 24);
    header.writeUInt32BE(0, 32);
    header.writeUInt32BE(l1Entries, 36);
    header.writeBigUInt64BE(BigInt(l1At * CLUSTER), 40);
    header.writeBigUInt64BE(BigInt(refcountTableAt * CLUSTER), 48);
    header.writeUInt32BE(refcountTableClusters, 56);
    // nb_snapshots, snapshots_offset, the three feature masks: 0.
    header.writeUInt32BE(4, 96);
    header.writeUInt32BE(HEADER_LENGTH, 100);
    // The backing file's format, so QEMU (and libvirt) never probe it.
    header.writeUInt32BE(BACKING_FORMAT_EXTENSION, extensionsAt);
    header.writeUInt32BE(3, extensionsAt + 4);
    header.write('raw', extensionsAt + 8, 'latin1');
    // End of extensions (type 0, length 0) is already zeros at extensionsAt + 16.
    name.copy(header, nameAt);

    const l1 = Buffer.alloc(l1Clusters * CLUSTER);
    l2Indexes.forEach((index, n) => l1.writeBigUInt64BE(BigInt((l2At + n) * CLUSTER) | COPIED, index * 8));
    const refcountTable = Buffer.alloc(refcountTableClusters * CLUSTER);
    for (let b = 0; b < refcountBlocks; b++) refcountTable.writeBigUInt64BE(BigInt((refcountBlocksAt + b) * CLUSTER), b * 8);
    const refcounts = Buffer.alloc(refcountBlocks * CLUSTER);
    for (let c = 0; c < total; c++) refcounts.writeUInt16BE(1, c * 2);
    const l2 = Buffer.alloc(l2Indexes.length * CLUSTER);
    clusters.forEach((c, n) => {
      const table = l2Indexes.indexOf(Math.floor(c.guest / ENTRIES_PER_TABLE));
      l2.writeBigUInt64BE(BigInt((dataAt + n) * CLUSTER) | COPIED, table * CLUSTER + (c.guest % ENTRIES_PER_TABLE) * 8);
    });

    const hash = createHash('sha256');
    const out = await open(input.dest, 'w', 0o600);
    try {
      let position = 0;
      const put = async (buffers: Buffer[]) => {
        for (const b of buffers) hash.update(b);
        const { bytesWritten } = await out.writev(buffers, position);
        const wanted = buffers.reduce((n, b) => n + b.length, 0);
        if (bytesWritten !== wanted) throw new OzkitError('IO', `${input.dest}: short write (${bytesWritten} of ${wanted} bytes)`);
        position += wanted;
      };
      await put([header, l1, refcountTable, refcounts, l2]);
      // A few MiB per call: writev takes at most 1024 buffers.
      for (let n = 0; n < clusters.length; n += 64) await put(clusters.slice(n, n + 64).map((c) => c.data));
      if (position !== total * CLUSTER) throw new OzkitError('INTERNAL', `qcow2 overlay is ${position} bytes, expected ${total * CLUSTER}`);
      return { sha256: hash.digest('hex'), bytes: position };
    } finally {
      await out.close();
    }
  } finally {
    await source.close();
  }
}

/** One guest cluster: the backing file's bytes (zeros past its end) with the ranges from `from` on laid over them. */
async function clusterContent(
  source: Awaited<ReturnType<typeof open>>,
  backingBytes: number,
  guest: number,
  ranges: OverlayInput['ranges'],
  from: number,
): Promise<Buffer> {
  const start = guest * CLUSTER;
  const data = Buffer.alloc(CLUSTER);
  let covered = 0;
  for (let k = from; k < ranges.length && ranges[k].offset < start + CLUSTER; k++) {
    const r = ranges[k];
    const a = Math.max(start, r.offset);
    const b = Math.min(start + CLUSTER, r.offset + r.data.length);
    if (a < b) covered += b - a;
  }
  // Only a cluster the ranges leave partly uncovered needs the backing file's bytes.
  if (covered < CLUSTER && start < backingBytes) {
    const want = Math.min(CLUSTER, backingBytes - start);
    for (let done = 0; done < want;) {
      const { bytesRead } = await source.read(data, done, want - done, start + done);
      if (bytesRead === 0) throw new OzkitError('IO', `backing file ended at byte ${start + done}, expected ${backingBytes}`);
      done += bytesRead;
    }
  }
  for (let k = from; k < ranges.length && ranges[k].offset < start + CLUSTER; k++) {
    const r = ranges[k];
    const a = Math.max(start, r.offset);
    const b = Math.min(start + CLUSTER, r.offset + r.data.length);
    if (a < b) r.data.copy(data, a - start, a - r.offset, b - r.offset);
  }
  return data;
}

function isAllZero(b: Buffer): boolean {
  for (let i = 0; i < b.length; i += 8) if (b.readBigUInt64LE(i) !== 0n) return false;
  return true;
}
