import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OzkitError } from '@ozkit/errors';
import { netpbmToPng, netpbmToPngStream } from './convert.js';
import { makeNetpbm, random, samplesFor, type NetpbmSpec } from './fixtures.test-support.js';

// Damaged inputs: every outcome must be a valid PNG or a BAD_IMAGE error (exit 65) — never
// an internal error, a hang, or a half-written file.
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'netpbm-fuzz-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const seeds: NetpbmSpec[] = [
  { format: 'P1', width: 9, height: 3, samples: samplesFor('P1', 9, 3, 1, 1), oddLayout: true },
  { format: 'P2', width: 5, height: 4, maxval: 1000, samples: samplesFor('P2', 5, 4, 1000, 2) },
  { format: 'P3', width: 4, height: 3, maxval: 15, samples: samplesFor('P3', 4, 3, 15, 3), oddLayout: true },
  { format: 'P4', width: 13, height: 5, samples: samplesFor('P4', 13, 5, 1, 4) },
  { format: 'P5', width: 7, height: 6, maxval: 65535, samples: samplesFor('P5', 7, 6, 65535, 5) },
  { format: 'P6', width: 8, height: 8, maxval: 255, samples: samplesFor('P6', 8, 8, 255, 6) },
];

function mutate(bytes: Buffer, rnd: () => number): Buffer {
  const out = Buffer.from(bytes);
  switch (Math.floor(rnd() * 4)) {
    case 0: // cut short
      return out.subarray(0, Math.floor(rnd() * out.length));
    case 1: {
      // damage the header (its first 24 bytes)
      const n = 1 + Math.floor(rnd() * 3);
      for (let k = 0; k < n; k++) out[Math.floor(rnd() * Math.min(24, out.length))] = Math.floor(rnd() * 256);
      return out;
    }
    case 2: {
      // damage anywhere
      for (let k = 0; k < 4; k++) out[Math.floor(rnd() * out.length)] = Math.floor(rnd() * 256);
      return out;
    }
    default: // junk appended
      return Buffer.concat([out, Buffer.from(Array.from({ length: 1 + Math.floor(rnd() * 20) }, () => Math.floor(rnd() * 256)))]);
  }
}

describe('damaged inputs', () => {
  it('give a valid PNG or BAD_IMAGE, and leave nothing behind on error', async () => {
    const rnd = random(12345);
    let failures = 0;
    for (let i = 0; i < 400; i++) {
      const seed = seeds[i % seeds.length];
      const bytes = mutate(makeNetpbm(seed), rnd);
      const out = join(dir, `f${i}.png`);
      try {
        const result = await netpbmToPng(bytes, out);
        for (const image of result.images) expect(() => PNG.sync.read(readFileSync(image.png.path!))).not.toThrow();
      } catch (error) {
        failures++;
        expect(error, String(error)).toBeInstanceOf(OzkitError);
        expect((error as OzkitError).code, (error as Error).message).toBe('BAD_IMAGE');
        expect((error as OzkitError).message).not.toContain('\n');
      }
    }
    // The mutations must actually break things most of the time, or this test proves little.
    expect(failures).toBeGreaterThan(200);
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('random bytes on a stream never write a byte of PNG', async () => {
    const rnd = random(777);
    for (let i = 0; i < 100; i++) {
      const bytes = Buffer.from(Array.from({ length: Math.floor(rnd() * 200) }, () => Math.floor(rnd() * 256)));
      if (i % 2) bytes.write('P6', 0, 'latin1');
      const out = new PassThrough();
      let written = 0;
      out.on('data', (c: Buffer) => (written += c.length));
      const error = await netpbmToPngStream(bytes, out).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(OzkitError);
      expect((error as OzkitError).code).toBe('BAD_IMAGE');
      expect(written).toBe(0);
    }
  });
});
