import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloneFile } from '@ozkit/cache';
import { appendSession, inspectIso } from './iso-image.js';
import { sessionDelta, writeGrownCopy } from './session-delta.js';
import { buildFixtureIso, type LayoutName, fixedEpochScratch } from './fixtures/media-fixtures.test-support.js';

const testDir = fixedEpochScratch('ozkit-delta-', { beforeAll, afterAll });

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

// Every layout whose remaster grows a session (ubuntu2204 has an appended partition and is rewritten).
describe.each<LayoutName>(['centos7', 'rocky9', 'fedora40', 'debian12', 'ubuntu1804'])('a session grown on %s media without copying it first', (layout) => {
  it('gives the same bytes as growing a full copy, and the sha256 of what it wrote', async () => {
    const base = join(testDir(), layout);
    mkdirSync(base, { recursive: true });
    // Large files are holes in the scratch copy: a wrong offset or a read of file data would show.
    const fx = buildFixtureIso(base, layout, {
      files: { 'pool/main/big/big_1.0_amd64.deb': randomBytes(3 * 1024 * 1024 + 5), 'pool/main/s/small.deb': randomBytes(70_000) },
    });
    const info = await inspectIso(fx.path);
    const seed = join(base, 'seed');
    writeFileSync(seed, 'd-i debian-installer/locale string en_US\n');
    const replaced = [...info.files].find((f) => f.endsWith('.cfg'))!;
    const cfg = join(base, 'new.cfg');
    writeFileSync(cfg, 'replaced config\n');
    const changes = [
      { local: seed, isoPath: '/preseed/ozkit.seed' },
      { local: cfg, isoPath: replaced },
    ];

    const plain = join(base, 'plain.iso');
    await cloneFile(fx.path, plain);
    await appendSession(plain, info.volumeId, changes);

    const scratch = join(base, 'scratch');
    mkdirSync(scratch);
    // The EFI image (not patched) is a hole too: only what inspectIso says xorriso reads is copied.
    expect(info.readBootImages).toEqual([info.biosImage]);
    const delta = await sessionDelta(fx.path, info, changes, scratch);
    const fast = join(base, 'fast.iso');
    const digest = await writeGrownCopy(fx.path, fast, delta);

    expect(statSync(fast).size).toBe(statSync(plain).size);
    expect(readFileSync(fast).equals(readFileSync(plain))).toBe(true);
    expect(digest).toBe(sha256(fast));
    expect(delta.patches.length).toBeGreaterThan(0);
    // Only the superblock area changes inside the old image; the scratch directory is left empty.
    expect(Math.max(...delta.patches.map((p) => p.offset + p.data.length))).toBeLessThanOrEqual(64 * 1024);
    expect(readdirSync(scratch)).toEqual([]);
    expect(readFileSync(fx.path).equals(readFileSync(fast).subarray(0, statSync(fx.path).size))).toBe(false);
  }, 60_000);
});
