#!/usr/bin/env node
// Runs every benchmark (bench/*.bench.mjs), or the ones named: `npm run bench -- ppm2png`.
// `build`, `verify-boot` and `oz` boot VMs and run only when named.
// Each benchmark is a standalone script that prints its own table with ratios against its baseline.
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const all = readdirSync(here)
  .filter((f) => f.endsWith('.bench.mjs'))
  .sort();
// Benchmarks that boot VMs for many minutes run only when named (`npm run bench -- build`).
const namedOnly = ['build.bench.mjs', 'verify-boot.bench.mjs', 'oz.bench.mjs'];
const chosen = wanted.length ? all.filter((f) => wanted.some((w) => f.startsWith(w))) : all.filter((f) => !namedOnly.includes(f));
if (chosen.length === 0) {
  console.error(`bench: no benchmark matches ${wanted.join(' ')}; have: ${all.join(', ')}`);
  process.exitCode = 64;
} else {
  for (const file of chosen) {
    console.log(`\n== ${file.replace('.bench.mjs', '')}`);
    const r = spawnSync(process.execPath, [join(here, file)], { stdio: 'inherit' });
    if (r.status !== 0) process.exitCode = r.status ?? 1;
  }
}
