import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OzkitError } from '@ozkit/errors';
import { netpbmToPng, netpbmToPngStream, screendumpToPng } from './convert.js';
import { streamSource } from './byte-source.js';
import { makeNetpbm, samplesFor } from './fixtures.test-support.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'netpbm-errors-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const good = makeNetpbm({ format: 'P6', width: 4, height: 3, maxval: 255, samples: samplesFor('P6', 4, 3, 255, 1) });

/** Converts `bytes`; expects BAD_IMAGE (exit 65), one line naming the file, and nothing left in the folder. */
async function expectBadImage(bytes: Buffer, pattern: RegExp): Promise<string> {
  const input = join(dir, 'in.ppm');
  await writeFile(input, bytes);
  const error = await netpbmToPng(input, join(dir, 'out.png')).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OzkitError);
  const e = error as OzkitError;
  expect(e.code).toBe('BAD_IMAGE');
  expect(e.exitCode).toBe(65);
  expect(e.message).not.toContain('\n');
  expect(e.message.startsWith(`${input}:`)).toBe(true);
  expect(e.message).toMatch(pattern);
  expect(await readdir(dir)).toEqual(['in.ppm']);
  return e.message;
}

describe('bad images: exit 65, one line, no output left behind', () => {
  it('truncated raw raster', async () => {
    await expectBadImage(good.subarray(0, good.length - 5), /truncated: the header says 4x3 maxval 255, which needs 36 bytes of pixel data, but only 31 follow/);
  });

  it('header that lies about its size', async () => {
    const msg = await expectBadImage(Buffer.from('P5\n1000 1000\n255\nabc'), /truncated.*1000x1000.*needs 1000000 bytes.*only 3 follow/);
    expect(msg).toMatch(/in\.ppm: byte 17: /);
  });

  it('truncated plain raster', async () => {
    await expectBadImage(Buffer.from('P3\n2 2\n255\n1 2 3 4 5 6\n7 8\n'), /:6:1: truncated: the pixel data ends in row 2 of 2/);
  });

  it('truncated 16-bit raster (odd byte)', async () => {
    await expectBadImage(Buffer.from([...Buffer.from('P5\n2 1\n1000\n'), 1, 2, 3]), /truncated/);
  });

  it('maxval 0', async () => {
    await expectBadImage(Buffer.from('P6\n1 1\n0\n\0\0\0'), /:3:1: maxval is 0 \(must be 1\.\.65535\)/);
  });

  it('maxval above 65535', async () => {
    await expectBadImage(Buffer.from('P2\n1 1\n65536\n1\n'), /maxval 65536 is larger than 65535/);
  });

  it('zero width or height', async () => {
    await expectBadImage(Buffer.from('P6\n0 5\n255\n'), /has zero width \(0x5\)/);
    await expectBadImage(Buffer.from('P4\n5 0\n'), /has zero height \(5x0\)/);
  });

  it('garbage', async () => {
    await expectBadImage(Buffer.from('\x89PNG\r\n\x1a\n....', 'latin1'), /not a netpbm image: bad magic number "\\x89P" \(expected P1–P6\)/);
    await expectBadImage(Buffer.from('hello world'), /bad magic number "he"/);
    const input = join(dir, 'shot.png');
    await writeFile(input, Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'));
    const error = (await netpbmToPng(input, join(dir, 'x.png')).catch((e) => e)) as OzkitError;
    expect(error.hint).toBe('this looks like a PNG file already');
    await rm(input);
    await expectBadImage(Buffer.from('P6\nwide 3\n255\n'), /:2:1: junk in the header where the width should be: "w"/);
    await expectBadImage(Buffer.from('P6\n3x3\n255\n'), /junk in the header after the width: "x"/);
  });

  it('empty file and a header cut short', async () => {
    await expectBadImage(Buffer.alloc(0), /empty input/);
    await expectBadImage(Buffer.from('P6\n640 480'), /header ends right after its height/);
    await expectBadImage(Buffer.from('P6\n640'), /header ends right after its width/);
    await expectBadImage(Buffer.from('P6\n'), /header ends before its width/);
  });

  it('a sample above maxval', async () => {
    await expectBadImage(Buffer.from('P2\n2 1\n100\n10 200\n'), /:4:4: sample value 200 at row 1, column 2 is larger than maxval 100/);
    await expectBadImage(Buffer.from([...Buffer.from('P5\n2 1\n100\n'), 10, 200]), /byte 12: sample value 200 at row 1, column 2/);
  });

  it('junk in a plain raster', async () => {
    await expectBadImage(Buffer.from('P1\n3 1\n0 2 1\n'), /:3:3: junk in the raster where a bit \(0 or 1\) should be: "2"/);
    await expectBadImage(Buffer.from('P2\n2 1\n9\n1 x\n'), /junk in the raster where a sample value should be: "x"/);
  });

  it('PAM (P7) is named as unsupported', async () => {
    await expectBadImage(Buffer.from('P7\nWIDTH 1\n'), /PAM \(P7\) images are not supported/);
  });

  it('a damaged second image fails the whole file: no OUT.png either', async () => {
    await expectBadImage(Buffer.concat([good, good.subarray(0, 20)]), /image 2: truncated/);
    await expectBadImage(Buffer.concat([good, Buffer.from('trailing junk')]), /unexpected data after image 1/);
  });

  it('absurd dimensions are refused before any allocation', async () => {
    await expectBadImage(Buffer.from('P6\n2147483647 2147483647\n255\n'), /width 2147483647 is too large|truncated/);
    await expectBadImage(Buffer.from('P6\n99999999999 1\n255\n'), /number too large/);
  });
});

describe('missing input and unwritable output', () => {
  it('a missing file is INPUT_MISSING (exit 66)', async () => {
    const error = (await screendumpToPng(join(dir, 'nope.ppm'), join(dir, 'x.png')).catch((e) => e)) as OzkitError;
    expect(error.code).toBe('INPUT_MISSING');
    expect(error.exitCode).toBe(66);
  });

  it('an output folder that does not exist is an I/O error, and nothing is left', async () => {
    const input = join(dir, 'in.ppm');
    await writeFile(input, good);
    const error = (await netpbmToPng(input, join(dir, 'no', 'such', 'x.png')).catch((e) => e)) as OzkitError;
    expect(error.code).toBe('IO'); // ENOENT on the output's folder: an output error (74), not a missing input
    expect(error.message).toContain('x.png: cannot write');
    expect(await readdir(dir)).toEqual(['in.ppm']);
  });
});

describe('streams', () => {
  it('a bad image on a stream writes nothing to the output stream', async () => {
    const out = new PassThrough();
    let written = 0;
    out.on('data', (c: Buffer) => (written += c.length));
    const error = (await netpbmToPngStream(Readable.from([Buffer.concat([good, good.subarray(0, 30)])]), out).catch((e) => e)) as OzkitError;
    expect(error.code).toBe('BAD_IMAGE');
    expect(error.message).toMatch(/^<stdin>: byte \d+: image 2: truncated/);
    expect(written).toBe(0);
  });

  it('a large stream spills to a temp file that is removed on close', async () => {
    const big = Buffer.alloc(3000, 7);
    const source = await streamSource(Readable.from([big.subarray(0, 1000), big.subarray(1000, 2500), big.subarray(2500)]), { spillBytes: 1500 });
    expect(source.size).toBe(3000);
    const back = Buffer.alloc(3000);
    expect(source.readInto(back, 0, 3000, 0)).toBe(3000);
    expect(back.equals(big)).toBe(true);
    await source.close();
  });

  it('an aborted conversion stops with the signal reason and leaves nothing', async () => {
    const input = join(dir, 'in.ppm');
    await writeFile(input, good);
    const controller = new AbortController();
    controller.abort(new OzkitError('INTERRUPTED', 'interrupted (SIGINT)'));
    const error = (await netpbmToPng(input, join(dir, 'x.png'), { signal: controller.signal }).catch((e) => e)) as OzkitError;
    expect(error.code).toBe('INTERRUPTED');
    expect(await readdir(dir)).toEqual(['in.ppm']);
  });
});
