import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloneFile } from '@ozkit/cache';
import { appendSession, inspectIso } from './iso-image.js';
import { sessionDelta } from './session-delta.js';
import { writeQcow2Overlay } from './qcow2-overlay.js';
import { buildFixtureIso, fixedEpochScratch } from './fixtures/media-fixtures.test-support.js';
import { needsPrograms } from '../../../test/support/missing-program.js';

needsPrograms('qemu-img');

const testDir = fixedEpochScratch('ozkit-qcow2-overlay-', { beforeAll, afterAll });

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** What QEMU reads through the overlay, as a raw file (qemu-img follows the backing file). */
function flatten(overlay: string): string {
  const raw = `${overlay}.raw`;
  execFileSync('qemu-img', ['convert', '-f', 'qcow2', '-O', 'raw', overlay, raw]);
  return raw;
}

function check(overlay: string): { info: Record<string, unknown>; check: Record<string, unknown> } {
  const info = JSON.parse(execFileSync('qemu-img', ['info', '--output=json', overlay], { encoding: 'utf8' })) as Record<string, unknown>;
  const result = JSON.parse(execFileSync('qemu-img', ['check', '--output=json', overlay], { encoding: 'utf8' })) as Record<string, unknown>;
  return { info, check: result };
}

describe('a qcow2 overlay on the original ISO', () => {
  it.each(['debian12', 'rocky9'] as const)(
    'reads back, on %s media, as the ISO xorriso grows on a full copy, and is consistent for qemu-img check',
    async (layout) => {
      const base = join(testDir(), layout);
      mkdirSync(base, { recursive: true });
      const fx = buildFixtureIso(base, layout, { files: { 'pool/main/big/big_1.0_amd64.deb': randomBytes(3 * 1024 * 1024 + 5) } });
      const info = await inspectIso(fx.path);
      const seed = join(base, 'seed');
      writeFileSync(seed, 'd-i debian-installer/locale string en_US\n');
      const changes = [{ local: seed, isoPath: '/preseed/ozkit.seed' }];

      const plain = join(base, 'plain.iso');
      await cloneFile(fx.path, plain);
      await appendSession(plain, info.volumeId, changes);

      const scratch = join(base, 'scratch');
      mkdirSync(scratch);
      const delta = await sessionDelta(fx.path, info, changes, scratch);
      const overlay = join(base, 'boot.qcow2');
      const written = await writeQcow2Overlay({
        backing: fx.path,
        backingBytes: delta.baseBytes,
        virtualBytes: delta.baseBytes + delta.tail.length,
        ranges: [...delta.patches, { offset: delta.baseBytes, data: delta.tail }],
        dest: overlay,
      });

      const { info: qinfo, check: qcheck } = check(overlay);
      expect(qinfo).toMatchObject({ format: 'qcow2', 'virtual-size': statSync(plain).size, 'backing-filename': fx.path, 'backing-filename-format': 'raw' });
      expect(qcheck).toMatchObject({ 'check-errors': 0 });
      expect(qcheck.corruptions ?? 0).toBe(0);
      expect(qcheck.leaks ?? 0).toBe(0);
      expect(readFileSync(flatten(overlay)).equals(readFileSync(plain))).toBe(true);
      expect(written).toEqual({ sha256: sha256(overlay), bytes: statSync(overlay).size });
      // Only what changed is in it: far less than the medium.
      expect(written.bytes).toBeLessThan(delta.tail.length + 16 * 64 * 1024);
    },
    60_000,
  );

  it('fills a partly covered cluster from the backing file, leaves zeros past its end unallocated, and handles ranges sharing a cluster', async () => {
    const base = join(testDir(), 'synthetic');
    mkdirSync(base, { recursive: true });
    const backing = join(base, 'backing.raw');
    const backingBytes = 3 * 65536 + 4096;
    writeFileSync(backing, randomBytes(backingBytes));
    const virtualBytes = 6 * 65536 + 2048;
    const ranges = [
      { offset: 100 * 512, data: randomBytes(512) },
      { offset: 120 * 512, data: randomBytes(2048) },
      { offset: 65536 * 3, data: randomBytes(8192) },
      // Zeros past the backing's end: reads as zeros without being stored.
      { offset: 65536 * 4, data: Buffer.alloc(65536) },
      { offset: 65536 * 5 + 10, data: randomBytes(65536 - 10 + 2048) },
    ];
    const expected = Buffer.alloc(virtualBytes);
    readFileSync(backing).copy(expected);
    for (const r of ranges) r.data.copy(expected, r.offset);
    const overlay = join(base, 'o.qcow2');
    const written = await writeQcow2Overlay({ backing, backingBytes, virtualBytes, ranges, dest: overlay });
    expect(check(overlay).check).toMatchObject({ 'check-errors': 0 });
    expect(readFileSync(flatten(overlay)).equals(expected)).toBe(true);
    // header, L1, refcount table, one refcount block, one L2, data clusters 0, 3, 5 and 6
    expect(written.bytes).toBe(9 * 65536);
    const map = JSON.parse(execFileSync('qemu-img', ['map', '--output=json', overlay], { encoding: 'utf8' })) as { start: number; depth: number; data: boolean }[];
    const fromOverlay = map.filter((m) => m.depth === 0 && m.data).map((m) => m.start);
    expect(fromOverlay).toEqual([0, 3 * 65536, 5 * 65536]);
  });

  it('refuses a relative backing path and unsorted ranges', async () => {
    await expect(writeQcow2Overlay({ backing: 'x.iso', backingBytes: 0, virtualBytes: 512, ranges: [], dest: join(testDir(), 'r.qcow2') })).rejects.toThrow(
      /absolute/,
    );
    const backing = join(testDir(), 'b.raw');
    writeFileSync(backing, Buffer.alloc(4096));
    const ranges = [
      { offset: 2048, data: Buffer.alloc(512) },
      { offset: 0, data: Buffer.alloc(512) },
    ];
    await expect(writeQcow2Overlay({ backing, backingBytes: 4096, virtualBytes: 4096, ranges, dest: join(testDir(), 'u.qcow2') })).rejects.toThrow(
      /overlap|unsorted/,
    );
  });
});
