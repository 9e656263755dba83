import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const bin = new URL('../bin/ppm2png.js', import.meta.url).pathname;

interface Run {
  code: number;
  stdout: Buffer;
  stderr: string;
}

function run(args: string[], stdin?: Buffer | string, cwd?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [bin, ...args], { encoding: 'buffer', maxBuffer: 1 << 28, cwd }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr: stderr.toString() });
    });
    child.stdin!.on('error', () => {});
    child.stdin!.end(stdin ?? '');
  });
}

/** A small P6 with a gradient (many colors: an RGB PNG). */
function ppm(width = 40, height = 30, seed = 1): Buffer {
  const raster = Buffer.alloc(width * height * 3);
  for (let i = 0; i < raster.length; i++) raster[i] = (i * 37 + seed * 101 + (i >> 5)) & 0xff;
  return Buffer.concat([Buffer.from(`P6\n${width} ${height}\n255\n`), raster]);
}

function pam(png: Buffer): Buffer {
  return execFileSync('pngtopam', [], { input: png, stdio: ['pipe', 'pipe', 'ignore'] });
}

function netpbmPixels(netpbm: Buffer): Buffer {
  return pam(execFileSync('pnmtopng', [], { input: netpbm, stdio: ['pipe', 'pipe', 'ignore'] }));
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ppm2png-cli-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('ppm2png IN -o OUT', () => {
  it('--log-format json: one "converted" event per image', async () => {
    writeFileSync(join(dir, 'a.ppm'), ppm());
    const r = await run([join(dir, 'a.ppm'), '-o', join(dir, 'a.png'), '--log-format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const events = r.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ tool: 'ppm2png', event: 'converted', input: join(dir, 'a.ppm'), format: 'P6', png: { path: join(dir, 'a.png') } });
  });

  it('writes the PNG with netpbm-identical pixels, silently', async () => {
    const image = ppm();
    writeFileSync(join(dir, 'a.ppm'), image);
    const r = await run([join(dir, 'a.ppm'), '-o', join(dir, 'a.png')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout.length).toBe(0);
    expect(pam(readFileSync(join(dir, 'a.png'))).equals(netpbmPixels(image))).toBe(true);
  });

  it('a multi-image file gives OUT.png, OUT-1.png, OUT-2.png and says so', async () => {
    writeFileSync(join(dir, 'm.ppm'), Buffer.concat([ppm(4, 4, 1), ppm(5, 5, 2), Buffer.from('P1\n2 1\n10\n')]));
    const r = await run([join(dir, 'm.ppm'), '-o', join(dir, 'm.png')]);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['m-1.png', 'm-2.png', 'm.png', 'm.ppm']);
    expect(r.stderr).toContain('3 images');
    expect(PNG.sync.read(readFileSync(join(dir, 'm-1.png'))).width).toBe(5);
  });

  it('a bad image: exit 65, one error line (+ hint), no output file', async () => {
    writeFileSync(join(dir, 'bad.ppm'), ppm().subarray(0, 500));
    const r = await run([join(dir, 'bad.ppm'), '-o', join(dir, 'bad.png')]);
    expect(r.code).toBe(65);
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^ppm2png: ${join(dir, 'bad.ppm')}: byte \\d+: truncated: `));
    expect(lines.slice(1).every((l) => l.startsWith('ppm2png: hint: '))).toBe(true);
    expect(r.stderr).not.toMatch(/\bat \w+ \(/); // no stack trace without -v
    expect(readdirSync(dir)).toEqual(['bad.ppm']);
  });

  it('IN may be a FIFO (bash <(…)): read once, as a stream', async () => {
    const image = ppm(21, 9);
    writeFileSync(join(dir, 'img.ppm'), image);
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    const writer = spawn('sh', ['-c', 'cat "$1" > "$2"', 'sh', join(dir, 'img.ppm'), join(dir, 'fifo')]);
    const written = new Promise((resolve) => writer.once('close', resolve));
    const r = await run([join(dir, 'fifo'), '-o', join(dir, 'out.png')]);
    await written;
    expect(r.code, r.stderr).toBe(0);
    expect(pam(readFileSync(join(dir, 'out.png'))).equals(netpbmPixels(image))).toBe(true);
  });

  it('a missing input exits 66, usage errors exit 64', async () => {
    expect((await run([join(dir, 'nope.ppm'), '-o', join(dir, 'x.png')])).code).toBe(66);
    expect((await run(['a.ppm', 'b.ppm'])).code).toBe(64);
    expect((await run(['--compression', '12', '-o', 'x.png'], ppm())).code).toBe(64);
    expect((await run(['--no-such-flag'])).code).toBe(64);
    expect((await run(['--dir', dir, join(dir, 'a.ppm')])).code).toBe(64);
    expect((await run(['-c', join(dir, 'missing.cfg'), '-o', join(dir, 'x.png')], ppm())).code).toBe(66);
    expect((await run(['--out', join(dir, 'd.json')], ppm())).code).toBe(64);
    expect((await run(['-o', join(dir, 'x.png')], '{"ozkit":1,"stages":[]}')).code).toBe(64);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('ppm2png < in > out', () => {
  it('converts stdin to stdout', async () => {
    const image = ppm(33, 7);
    const r = await run([], image);
    expect(r.code, r.stderr).toBe(0);
    expect(pam(r.stdout).equals(netpbmPixels(image))).toBe(true);
  });

  it('writes only the first of several images to stdout, with a warning', async () => {
    const r = await run([], Buffer.concat([ppm(3, 3, 1), ppm(4, 4, 2)]));
    expect(r.code, r.stderr).toBe(0);
    expect(PNG.sync.read(r.stdout).width).toBe(3);
    expect(r.stderr).toMatch(/holds 2 images; only the first went to stdout/);
  });

  it('garbage on stdin: exit 65, nothing on stdout', async () => {
    const r = await run([], 'hello');
    expect(r.code).toBe(65);
    expect(r.stdout.length).toBe(0);
    expect(r.stderr).toMatch(/^ppm2png: <stdin>:1:1: not a netpbm image: bad magic number "he"/);
  });

  it('empty stdin: exit 65', async () => {
    const r = await run([], '');
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(/empty input/);
  });
});

describe('ppm2png --dir', () => {
  it('converts every .ppm/.pgm/.pbm/.pnm beside itself, reports each, goes on past a bad one and exits 65', async () => {
    writeFileSync(join(dir, 'a.ppm'), ppm());
    writeFileSync(join(dir, 'b.PGM'), Buffer.from('P2\n2 2\n1000\n0 1000\n500 7\n'));
    writeFileSync(join(dir, 'c.pbm'), Buffer.from('P1\n3 1\n101\n'));
    writeFileSync(join(dir, 'd.pnm'), Buffer.from('P6\n9 9\n255\nshort'));
    writeFileSync(join(dir, 'notes.txt'), 'not an image');
    mkdirSync(join(dir, 'sub.ppm'));
    const r = await run(['--dir', dir]);
    expect(r.code).toBe(65);
    expect(
      readdirSync(dir)
        .filter((n) => n.endsWith('.png'))
        .sort(),
    ).toEqual(['a.png', 'b.png', 'c.png']);
    expect(r.stderr).toContain(`${join(dir, 'a.ppm')} -> ${join(dir, 'a.png')} (40x30 P6 maxval 255 -> `);
    expect(r.stderr).toContain(`${join(dir, 'd.pnm')}: byte 11: truncated`);
    expect(r.stderr).toMatch(/1 of 4 files could not be converted/);
    expect(pam(readFileSync(join(dir, 'b.png'))).equals(netpbmPixels(readFileSync(join(dir, 'b.PGM'))))).toBe(true);
  });

  it('-o OUTDIR puts the PNGs elsewhere; NDJSON events with --log-format json', async () => {
    writeFileSync(join(dir, 'a.ppm'), ppm());
    mkdirSync(join(dir, 'out'));
    const r = await run(['--dir', dir, '-o', join(dir, 'out'), '--log-format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(dir, 'out', 'a.png'))).toBe(true);
    const events = r.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events.find((e) => e.event === 'converted')).toMatchObject({ input: join(dir, 'a.ppm'), width: 40, png: { path: join(dir, 'out', 'a.png') } });
  });

  it('--remove-source deletes each converted file, and keeps the one that failed', async () => {
    writeFileSync(join(dir, 'a.ppm'), ppm());
    writeFileSync(join(dir, 'bad.ppm'), 'P6\n9 9\n255\nshort');
    const r = await run(['--dir', dir, '--remove-source']);
    expect(r.code).toBe(65);
    expect(readdirSync(dir).sort()).toEqual(['a.png', 'bad.ppm']);
  });

  it('a missing folder exits 66', async () => {
    expect((await run(['--dir', join(dir, 'nope')])).code).toBe(66);
  });
});

describe('ppm2png on a build document', () => {
  function failedDoc(screenshots: string[]) {
    return {
      ozkit: 1,
      workdir: dir,
      stages: [{ tool: 'guest-install', version: '0.1.0', startedAt: '2026-01-01T00:00:00.000Z', seconds: 3, failed: true }],
      failure: { stage: 'guest-install', code: 'INACTIVITY', message: 'no disk activity in 300 seconds', screenshots },
    };
  }

  it('converts the listed screenshots (relative to workdir, and absolute) and adds the PNG paths after each', async () => {
    writeFileSync(join(dir, 'shot-1.ppm'), ppm(8, 8, 1));
    writeFileSync(join(dir, 'shot-2.ppm'), ppm(9, 9, 2));
    writeFileSync(join(dir, 'old.png'), 'x');
    const doc = failedDoc(['shot-1.ppm', join(dir, 'shot-2.ppm'), 'old.png']);
    const r = await run([], JSON.stringify(doc));
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.toString());
    expect(out.failure.screenshots).toEqual(['shot-1.ppm', 'shot-1.png', join(dir, 'shot-2.ppm'), join(dir, 'shot-2.png'), 'old.png']);
    expect(out.failure.message).toBe(doc.failure.message);
    expect(out.stages.at(-1)).toMatchObject({ tool: 'ppm2png', converted: [join(dir, 'shot-1.png'), join(dir, 'shot-2.png')] });
    expect(PNG.sync.read(readFileSync(join(dir, 'shot-2.png'))).width).toBe(9);
  });

  it('reads --in and writes --out; a missing screenshot is reported, the document still goes on, exit 66', async () => {
    writeFileSync(join(dir, 'shot.ppm'), ppm());
    writeFileSync(join(dir, 'doc.json'), JSON.stringify(failedDoc(['shot.ppm', 'gone.ppm'])));
    const r = await run(['--in', join(dir, 'doc.json'), '--out', join(dir, 'doc2.json')]);
    expect(r.code).toBe(66);
    expect(r.stderr).toContain('gone.ppm: no such file');
    // A run that exits non-zero never writes --out FILE (make trusts it): the document is FILE.failed.json.
    expect(existsSync(join(dir, 'doc2.json'))).toBe(false);
    const out = JSON.parse(readFileSync(join(dir, 'doc2.failed.json'), 'utf8'));
    expect(out.failure.screenshots).toEqual(['shot.ppm', 'shot.png', 'gone.ppm']);
    expect(out.stages.at(-1).failed).toEqual([join(dir, 'gone.ppm')]);
  });

  it("--remove-source: the PNG takes the netpbm file's place in the list and on disk", async () => {
    writeFileSync(join(dir, 'shot.ppm'), ppm());
    const r = await run(['--remove-source'], JSON.stringify(failedDoc(['shot.ppm'])));
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.toString()).failure.screenshots).toEqual(['shot.png']);
    expect(readdirSync(dir)).toEqual(['shot.png']);
  });

  it('a document without failure passes through unchanged (plus the stage record)', async () => {
    const doc = { ozkit: 1, workdir: dir, stages: [], template: { name: 'x' } };
    const r = await run([], JSON.stringify(doc) + '\n');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.toString());
    expect(out.template).toEqual({ name: 'x' });
    expect(out.failure).toBeUndefined();
    expect(out.stages).toHaveLength(1);
  });

  it('a document given as IN is detected by content', async () => {
    writeFileSync(join(dir, 'shot.ppm'), ppm());
    writeFileSync(join(dir, 'doc.json'), JSON.stringify(failedDoc(['shot.ppm'])));
    const r = await run([join(dir, 'doc.json')]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.toString()).failure.screenshots).toEqual(['shot.ppm', 'shot.png']);
  });

  it('a broken document exits 65', async () => {
    const r = await run([], '{"ozkit": 1, "stages": [');
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(/not a build document/);
  });
});

describe('interrupts', () => {
  it('SIGINT while waiting for a stalled stdin: exit 130, no output or temp file', async () => {
    const child = spawn(process.execPath, [bin, '-v', '-o', join(dir, 'x.png')], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    // -v says when ppm2png starts reading stdin: its signal handling is in place by then.
    await new Promise<void>((resolve) =>
      child.stderr.on('data', (c: Buffer) => {
        stderr += c;
        if (stderr.includes('reading the input from stdin')) resolve();
      }),
    );
    child.stdin.write('P6\n100 100\n255\n');
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    child.stdin.destroy();
    expect(stderr).toContain('interrupted');
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('--help', () => {
  it('has usage and examples', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    const text = r.stdout.toString();
    expect(text).toContain('ppm2png --dir DIR');
    expect(text).toContain('Examples:');
    expect(text).toContain('OUT-1.png');
  });
});
