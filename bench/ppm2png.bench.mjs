#!/usr/bin/env node
// ppm2png against netpbm's pnmtopng and ImageMagick's convert, same run, same inputs.
// Inputs (generated): 1920x1080 and 640x480 P6 files, each as an installer-like screenshot
// (a few hundred colors at most: flat panels, text, a title gradient -> palette PNG) and as a
// photo-like image (gradients + noise, far more than 256 colors -> RGB PNG).
// Each tool converts each input file to a PNG file, REPS times; the table shows the median.
// Usage: node bench/ppm2png.bench.mjs [reps]   (build first: npx tsc -p libs/netpbm && npx tsc -p tools/ppm2png)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'tools/ppm2png/bin/ppm2png.js');
const reps = Number(process.argv[2] ?? 5);

function which(name) {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}
// ImageMagick itself (not a wrapper script earlier on PATH, which would add its own start-up).
const convertBin = ['/usr/bin/convert', '/usr/local/bin/magick', '/usr/bin/magick'].find((p) => existsSync(p)) ?? which('convert');
const pnmtopngBin = which('pnmtopng');

function xorshift(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>>= 0) & 0xff;
  };
}

/** An installer-like screen: background, title bar gradient, a dialog with text rows, a progress bar. */
function screenshot(width, height) {
  const px = Buffer.alloc(width * height * 3);
  const rnd = xorshift(7);
  const set = (x, y, r, g, b) => {
    const i = (y * width + x) * 3;
    px[i] = r;
    px[i + 1] = g;
    px[i + 2] = b;
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (y < height / 18) set(x, y, 40 + Math.floor((x * 80) / width), 60, 110);
      else set(x, y, 0x1e, 0x2a, 0x3a);
    }
  }
  const dx = Math.floor(width / 8),
    dy = Math.floor(height / 6),
    dw = Math.floor((width * 3) / 4),
    dh = Math.floor((height * 2) / 3);
  for (let y = dy; y < dy + dh; y++) for (let x = dx; x < dx + dw; x++) set(x, y, 0xee, 0xee, 0xec);
  // Text: rows of glyph-sized blocks with anti-aliasing greys.
  const grey = [0x2e, 0x55, 0x88, 0xbb];
  for (let line = 0; line < Math.floor(dh / 24) - 3; line++) {
    const ty = dy + 20 + line * 24;
    let x = dx + 20;
    while (x < dx + dw - 40) {
      const word = 2 + (rnd() % 9);
      for (let c = 0; c < word && x < dx + dw - 40; c++, x += 9)
        for (let gy = 0; gy < 14; gy++)
          for (let gx = 0; gx < 7; gx++)
            if (rnd() < 90) {
              const g = grey[rnd() & 3];
              set(x + gx, ty + gy, g, g, g);
            }
      x += 9;
    }
  }
  const py = dy + dh - 40;
  for (let y = py; y < py + 16; y++)
    for (let x = dx + 20; x < dx + dw - 20; x++) set(x, y, x < dx + dw / 2 ? 0x34 : 0xcc, x < dx + dw / 2 ? 0x65 : 0xcc, x < dx + dw / 2 ? 0xa4 : 0xcc);
  return px;
}

/** Gradients plus noise: far more than 256 colors. */
function photo(width, height) {
  const px = Buffer.alloc(width * height * 3);
  const rnd = xorshift(3);
  for (let y = 0, i = 0; y < height; y++)
    for (let x = 0; x < width; x++, i += 3) {
      px[i] = Math.floor((x * 255) / width);
      px[i + 1] = Math.floor((y * 255) / height);
      px[i + 2] = (((x + y) * 3) & 0xff) ^ (rnd() & 7);
    }
  return px;
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const gnuTime = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

/** Runs a command; wall-clock ms, and CPU ms (user + system, all threads) when GNU time is there. */
function time(cmd, args) {
  const cpuFile = join(dir, 'cpu.txt');
  const argv = gnuTime ? [gnuTime, '-f', '%U %S', '-o', cpuFile, cmd, ...args] : [cmd, ...args];
  const t = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  let cpu;
  if (gnuTime) {
    const [user, sys] = readFileSync(cpuFile, 'utf8').trim().split('\n').pop().split(' ').map(Number);
    cpu = (user + sys) * 1000;
  }
  return { ms, cpu };
}

const dir = mkdtempSync(join(tmpdir(), 'ppm2png-bench-'));
try {
  if (!existsSync(join(root, 'tools/ppm2png/dist/cli.js'))) throw new Error('build first: npx tsc -p libs/netpbm && npx tsc -p tools/ppm2png');
  const { netpbmToPng } = await import(join(root, 'libs/netpbm/dist/index.js'));
  const inputs = [];
  for (const [w, h] of [
    [1920, 1080],
    [640, 480],
  ])
    for (const [kind, make] of [
      ['screenshot', screenshot],
      ['photo', photo],
    ]) {
      const path = join(dir, `${kind}-${w}x${h}.ppm`);
      writeFileSync(path, Buffer.concat([Buffer.from(`P6\n${w} ${h}\n255\n`), make(w, h)]));
      inputs.push({ name: `${w}x${h} ${kind}`, path });
    }

  const tools = [
    { name: 'ppm2png (CLI)', run: (i, o) => time(process.execPath, [bin, i, '-o', o]) },
    {
      name: 'ppm2png (library)',
      run: async (i, o) => {
        const t = process.hrtime.bigint();
        const c = process.cpuUsage();
        await netpbmToPng(i, o);
        const used = process.cpuUsage(c);
        return { ms: Number(process.hrtime.bigint() - t) / 1e6, cpu: (used.user + used.system) / 1000 };
      },
    },
  ];
  if (pnmtopngBin) tools.push({ name: 'pnmtopng', baseline: true, run: (i, o) => time('sh', ['-c', `exec "${pnmtopngBin}" "$1" > "$2"`, 'sh', i, o]) });
  if (convertBin) tools.push({ name: 'convert', baseline: true, run: (i, o) => time(convertBin, [i, o]) });

  // Round-robin: every repetition runs each tool once, so a change in the machine's load
  // (it is shared) hits all tools alike.
  const rows = [];
  for (const input of inputs) {
    const samples = Object.fromEntries(tools.map((t) => [t.name, { ms: [], cpu: [] }]));
    const outOf = (tool) => join(dir, `${tool.name.replace(/\W+/g, '_')}.png`);
    for (const tool of tools) await tool.run(input.path, outOf(tool)); // warm-up: page cache, first-run costs
    for (let r = 0; r < reps; r++)
      for (const tool of tools) {
        const { ms, cpu } = await tool.run(input.path, outOf(tool));
        samples[tool.name].ms.push(ms);
        if (cpu !== undefined) samples[tool.name].cpu.push(cpu);
      }
    const results = {};
    for (const tool of tools) {
      const s = samples[tool.name];
      results[tool.name] = { ms: median(s.ms), cpu: s.cpu.length ? median(s.cpu) : undefined, bytes: statSync(outOf(tool)).size };
    }
    rows.push({ input: input.name, results });
  }

  const pad = (s, n) => String(s).padEnd(n);
  const lpad = (s, n) => String(s).padStart(n);
  console.log(`median of ${reps} runs: wall ms / CPU ms (user+sys) / PNG KiB. Ratios: ppm2png CLI wall time / baseline wall time (< 1 = faster)`);
  console.log(`${pad('input', 22)}${tools.map((t) => lpad(t.name, 24)).join('')}  CLI/pnmtopng CLI/convert`);
  for (const row of rows) {
    const cells = tools
      .map((t) => {
        const r = row.results[t.name];
        return lpad(`${r.ms.toFixed(0)} / ${r.cpu === undefined ? '-' : r.cpu.toFixed(0)} / ${(r.bytes / 1024).toFixed(0)}K`, 24);
      })
      .join('');
    const cli = row.results['ppm2png (CLI)'].ms;
    const ratio = (name) => (row.results[name] ? (cli / row.results[name].ms).toFixed(2) : 'n/a');
    console.log(`${pad(row.input, 22)}${cells}  ${lpad(ratio('pnmtopng'), 12)} ${lpad(ratio('convert'), 11)}`);
  }
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(`load average during the run: ${load} (the machine is shared; compare ratios, not absolute times)`);
  if (!pnmtopngBin || !convertBin) console.log('(missing baseline: install netpbm and imagemagick for the full comparison)');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
