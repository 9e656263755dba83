import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { netpbmToPng, netpbmToPngStream } from './convert.js';
import { makeNetpbm, pngToPam, pnmtopng, random, samplesFor, type NetpbmSpec } from './fixtures.test-support.js';

// Pixel identity with netpbm: both PNGs decoded by netpbm's pngtopam must give the same bytes
// (same maxval, same samples), and ours must also be a valid PNG for an independent decoder.
// netpbm is in scripts/system-packages.txt; the test setup fails early when it is missing.
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'netpbm-pixels-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let counter = 0;
async function convert(bytes: Buffer): Promise<Buffer[]> {
  const input = join(dir, `in-${++counter}.pnm`);
  await writeFile(input, bytes);
  const out = join(dir, `out-${counter}.png`);
  const result = await netpbmToPng(input, out);
  return Promise.all(result.images.map((image) => readFile(image.png.path!)));
}

function expectSameAsNetpbm(ours: Buffer, source: Buffer): void {
  expect(() => PNG.sync.read(ours)).not.toThrow();
  const theirs = pnmtopng(source);
  expect(pngToPam(ours).equals(pngToPam(theirs))).toBe(true);
}

const maxvals = [1, 2, 15, 255, 256, 1000, 65535];
const styles = ['random', 'few', 'gray', 'repeated'] as const;

describe('pixels identical to netpbm pnmtopng', () => {
  for (const format of ['P2', 'P3', 'P5', 'P6'] as const) {
    for (const maxval of maxvals) {
      it(`${format} maxval ${maxval}`, async () => {
        let seed = maxval * 7 + format.charCodeAt(1);
        for (const style of styles) {
          if (style === 'repeated' && ![3, 15, 255, 65535].includes(maxval)) continue;
          const spec: NetpbmSpec = { format, width: 13, height: 5, maxval, samples: samplesFor(format, 13, 5, maxval, ++seed, style) };
          const bytes = makeNetpbm(spec);
          const [png] = await convert(bytes);
          expectSameAsNetpbm(png, bytes);
        }
      });
    }
  }

  for (const format of ['P1', 'P4'] as const) {
    for (const width of [1, 7, 8, 9, 17, 64]) {
      it(`${format} width ${width}`, async () => {
        const bytes = makeNetpbm({ format, width, height: 3, samples: samplesFor(format, width, 3, 1, width) });
        const [png] = await convert(bytes);
        expectSameAsNetpbm(png, bytes);
      });
    }
  }

  it('maxval 3 and 65535 gray with bits repeated shrink as pnmtopng does (4/2/1-bit gray)', async () => {
    for (const maxval of [3, 15, 255, 65535]) {
      const samples = samplesFor('P5', 10, 4, maxval, maxval, 'repeated');
      const bytes = makeNetpbm({ format: 'P5', width: 10, height: 4, maxval, samples });
      const [png] = await convert(bytes);
      expectSameAsNetpbm(png, bytes);
    }
  });

  it('a 16-bit PPM whose samples are 8-bit values times 257 becomes 8-bit', async () => {
    const samples = samplesFor('P6', 20, 20, 255, 3).map((v) => v * 257);
    const bytes = makeNetpbm({ format: 'P6', width: 20, height: 20, maxval: 65535, samples });
    const [png] = await convert(bytes);
    expect(png[24]).toBe(8); // IHDR bit depth
    expectSameAsNetpbm(png, bytes);
  });

  it('1 to 4096 colors: 1/2/4/8-bit palettes, and RGB past 256', async () => {
    for (const count of [1, 2, 3, 4, 5, 16, 17, 256, 257, 4096]) {
      const samples = new Uint16Array(64 * 64 * 3);
      for (let p = 0; p < 64 * 64; p++) {
        const c = p % count;
        samples[p * 3] = c & 0xff;
        samples[p * 3 + 1] = (c >> 4) * 9;
        samples[p * 3 + 2] = 255 - (c & 0xff);
      }
      const bytes = makeNetpbm({ format: 'P6', width: 64, height: 64, maxval: 255, samples });
      const [png] = await convert(bytes);
      expectSameAsNetpbm(png, bytes);
    }
  });

  it('RGB and gray PNGs scaled from odd maxvals when there are too many colors for a palette', async () => {
    for (const format of ['P3', 'P6', 'P2', 'P5'] as const) {
      for (const maxval of [7, 100, 254]) {
        const samples = samplesFor(format, 40, 40, maxval, maxval + 1);
        const bytes = makeNetpbm({ format, width: 40, height: 40, maxval, samples });
        const [png] = await convert(bytes);
        expectSameAsNetpbm(png, bytes);
      }
    }
  });

  it('random formats, sizes, maxvals and contents (seeded) all match', async () => {
    const rnd = random(2026);
    const formats = ['P1', 'P2', 'P3', 'P4', 'P5', 'P6'] as const;
    const interesting = [1, 2, 3, 4, 7, 15, 16, 100, 127, 254, 255, 256, 511, 1023, 4095, 32768, 65534, 65535];
    for (let i = 0; i < 60; i++) {
      const format = formats[Math.floor(rnd() * formats.length)];
      const maxval = rnd() < 0.7 ? interesting[Math.floor(rnd() * interesting.length)] : 1 + Math.floor(rnd() * 65535);
      const width = 1 + Math.floor(rnd() * 40);
      const height = 1 + Math.floor(rnd() * 12);
      const style = (['random', 'few', 'gray', 'repeated'] as const)[Math.floor(rnd() * 4)];
      const usable = style === 'repeated' && ![3, 15, 255, 65535].includes(maxval) ? 'few' : style;
      const spec: NetpbmSpec = { format, width, height, maxval, samples: samplesFor(format, width, height, maxval, i + 1, usable), oddLayout: rnd() < 0.3 };
      const bytes = makeNetpbm(spec);
      const [png] = await convert(bytes);
      expect(() => PNG.sync.read(png)).not.toThrow();
      const same = pngToPam(png).equals(pngToPam(pnmtopng(bytes)));
      expect(same, `${format} ${width}x${height} maxval ${maxval} ${usable}`).toBe(true);
    }
  });

  it('comments and odd whitespace everywhere netpbm allows them', async () => {
    for (const format of ['P1', 'P2', 'P3', 'P4', 'P5', 'P6'] as const) {
      const maxval = format === 'P2' ? 1000 : 255;
      const samples = samplesFor(format, 9, 4, maxval, 11);
      const bytes = makeNetpbm({ format, width: 9, height: 4, maxval, samples, oddLayout: true });
      const [png] = await convert(bytes);
      expectSameAsNetpbm(png, bytes);
    }
  });

  it('a comment right after a number, without whitespace, ends it', async () => {
    const bytes = Buffer.from('P2 3#w\n2#h\n9#m\n1#a\n2 3\n4 5#b\n6\n');
    const [png] = await convert(bytes);
    expectSameAsNetpbm(png, bytes);
  });

  it('several images in one file: OUT.png, OUT-1.png, OUT-2.png…', async () => {
    const parts = [
      makeNetpbm({ format: 'P6', width: 5, height: 3, maxval: 255, samples: samplesFor('P6', 5, 3, 255, 1) }),
      makeNetpbm({ format: 'P2', width: 4, height: 2, maxval: 1000, samples: samplesFor('P2', 4, 2, 1000, 2), oddLayout: true }),
      makeNetpbm({ format: 'P4', width: 11, height: 2, samples: samplesFor('P4', 11, 2, 1, 3) }),
      makeNetpbm({ format: 'P1', width: 3, height: 1, samples: [1, 0, 1] }),
    ];
    const input = join(dir, 'multi.ppm');
    await writeFile(input, Buffer.concat([parts[0], parts[1], Buffer.from('\n'), parts[2], parts[3]]));
    const result = await netpbmToPng(input, join(dir, 'multi.png'));
    expect(result.images.map((i) => i.png.path)).toEqual(['multi.png', 'multi-1.png', 'multi-2.png', 'multi-3.png'].map((n) => join(dir, n)));
    for (let i = 0; i < parts.length; i++) expectSameAsNetpbm(await readFile(result.images[i].png.path!), parts[i]);
  });

  it('a QEMU-sized screendump (P6, 640x480) from a stream, through a spill-free buffer', async () => {
    const samples = new Uint16Array(640 * 480 * 3);
    for (let p = 0; p < 640 * 480; p++) {
      samples[p * 3] = (p % 640) & 0xff;
      samples[p * 3 + 1] = Math.floor(p / 640) & 0xff;
      samples[p * 3 + 2] = (p * 7) & 0xff;
    }
    const bytes = makeNetpbm({ format: 'P6', width: 640, height: 480, maxval: 255, samples });
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    const result = await netpbmToPngStream(Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]), out);
    expect(result.imageCount).toBe(1);
    const png = Buffer.concat(chunks);
    const decoded = PNG.sync.read(png);
    expect([decoded.width, decoded.height]).toEqual([640, 480]);
    expectSameAsNetpbm(png, bytes);
  });
});

describe('independent decoder', () => {
  it('pngjs decodes our 8-bit RGB PNG to the input samples', async () => {
    const samples = samplesFor('P6', 300, 7, 255, 5);
    const [png] = await convert(makeNetpbm({ format: 'P6', width: 300, height: 7, maxval: 255, samples }));
    const decoded = PNG.sync.read(png);
    for (let p = 0; p < 300 * 7; p++) {
      expect([decoded.data[p * 4], decoded.data[p * 4 + 1], decoded.data[p * 4 + 2]]).toEqual([samples[p * 3], samples[p * 3 + 1], samples[p * 3 + 2]]);
    }
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});
