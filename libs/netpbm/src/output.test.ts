import { execFileSync, spawn } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OzkitError } from '@ozkit/errors';
import { netpbmToPng, outputPathFor } from './convert.js';
import { makeNetpbm, samplesFor } from './fixtures.test-support.js';

let dir: string;
let input: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'netpbm-output-'));
  input = join(dir, 'in.ppm');
  await writeFile(input, makeNetpbm({ format: 'P6', width: 6, height: 4, maxval: 255, samples: samplesFor('P6', 6, 4, 255, 9) }));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const isPng = (b: Buffer) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));

describe('where the PNG goes', () => {
  it('names further images OUT-1.png, OUT-2.png (or appends -N without a .png ending)', () => {
    expect(outputPathFor('/x/shot.png', 0)).toBe('/x/shot.png');
    expect(outputPathFor('/x/shot.png', 2)).toBe('/x/shot-2.png');
    expect(outputPathFor('/x/shot.PNG', 1)).toBe('/x/shot-1.PNG');
    expect(outputPathFor('/x/shot', 1)).toBe('/x/shot-1');
  });

  it('replaces an existing file atomically (no temp file left)', async () => {
    await writeFile(join(dir, 'out.png'), 'old');
    await netpbmToPng(input, join(dir, 'out.png'));
    expect(isPng(await readFile(join(dir, 'out.png')))).toBe(true);
    expect((await readdir(dir)).sort()).toEqual(['in.ppm', 'out.png']);
  });

  it('follows a symlink to a file: the link stays, its target gets the PNG (think -o /dev/stdout > file)', async () => {
    await writeFile(join(dir, 'real.png'), 'old');
    await symlink('real.png', join(dir, 'link.png'));
    await netpbmToPng(input, join(dir, 'link.png'));
    expect((await lstat(join(dir, 'link.png'))).isSymbolicLink()).toBe(true);
    expect(await readlink(join(dir, 'link.png'))).toBe('real.png');
    expect(isPng(await readFile(join(dir, 'real.png')))).toBe(true);
  });

  it('writes into a FIFO in place instead of renaming over it', async () => {
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const reader = spawn('cat', [fifo]);
    const chunks: Buffer[] = [];
    reader.stdout.on('data', (c: Buffer) => chunks.push(c));
    const closed = new Promise((r) => reader.once('close', r));
    await netpbmToPng(input, fifo);
    await closed;
    expect(isPng(Buffer.concat(chunks))).toBe(true);
    expect((await lstat(fifo)).isFIFO()).toBe(true);
  });

  it('refuses a directory as the output (usage, exit 64)', async () => {
    await mkdir(join(dir, 'sub'));
    const error = (await netpbmToPng(input, join(dir, 'sub')).catch((e) => e)) as OzkitError;
    expect(error.code).toBe('USAGE');
    expect(error.exitCode).toBe(64);
  });
});
