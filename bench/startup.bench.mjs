#!/usr/bin/env node
// Start-up of every tool against `node -e 0`, same run, same machine: `tool --version` should
// take at most 2x and `tool --help` at most 3x (issue #9). Each command runs REPS times,
// interleaved with the baseline so that load from elsewhere hits both alike; the table shows medians.
// Usage: node bench/startup.bench.mjs [reps]   (after npm run build)
import { spawnSync } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const reps = Number(process.argv[2] ?? 15);
const limits = { '--version': 2, '--help': 3 };

const tools = readdirSync(join(root, 'tools'))
  .filter((t) => existsSync(join(root, 'tools', t, 'bin', `${t}.js`)))
  .sort();

function once(args) {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const baseline = [];
const samples = new Map();
for (let i = 0; i < reps; i++) {
  for (const tool of tools)
    for (const flag of Object.keys(limits)) {
      baseline.push(once(['-e', '0']));
      const key = `${tool} ${flag}`;
      samples.set(key, [...(samples.get(key) ?? []), once([join(root, 'tools', tool, 'bin', `${tool}.js`), flag])]);
    }
}
const base = median(baseline);
const rows = [['command', 'median ms', 'x node -e 0', 'limit', 'ok']];
let failed = 0;
for (const [key, ms] of samples) {
  const flag = key.split(' ')[1];
  const ratio = median(ms) / base;
  const ok = ratio <= limits[flag];
  if (!ok) failed++;
  rows.push([key, median(ms).toFixed(1), ratio.toFixed(2), `${limits[flag]}x`, ok ? 'yes' : 'NO']);
}
rows.splice(1, 0, ['node -e 0 (baseline)', base.toFixed(1), '1.00', '', '']);
const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
for (const row of rows) console.log(row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '));
console.log(`\n${reps} runs each, medians; ${failed === 0 ? 'every command within its limit' : `${failed} over the limit`}`);
if (failed > 0) process.exitCode = 1;
