#!/usr/bin/env node
// Download + verify of a 1 GiB file from a 127.0.0.1 HTTP server:
// iso-fetch (hash while downloading, into the content-addressed cache) vs `curl -o` then `sha256sum`.
// Goal: iso-fetch faster than the pair. Inputs live in a temp dir that is removed at the end.
import { createHash, randomFillSync } from 'node:crypto';
import { createReadStream, mkdtempSync, openSync, writeSync, closeSync, rmSync, statSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SIZE = Number(process.env.BENCH_BYTES ?? 1024 ** 3);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ozkit-bench-fetch-'));

function makeInput(path) {
  const block = Buffer.alloc(16 * 1024 * 1024);
  const fd = openSync(path, 'w');
  const h = createHash('sha256');
  for (let done = 0; done < SIZE; done += block.length) {
    randomFillSync(block);
    const n = Math.min(block.length, SIZE - done);
    writeSync(fd, block, 0, n);
    h.update(block.subarray(0, n));
  }
  closeSync(fd);
  return h.digest('hex');
}

function serve(file) {
  const size = statSync(file).size;
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-length': size, 'content-type': 'application/octet-stream' });
    createReadStream(file, { highWaterMark: 1 << 20 }).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function timeChild(cmd, args, env = {}) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`${cmd} exited ${code}`));
      resolve({ seconds: Number(process.hrtime.bigint() - t0) / 1e9, out });
    });
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

let server;
try {
  if (spawnSync('curl', ['--version']).status !== 0) throw new Error('curl is needed for the baseline');
  const input = join(dir, 'media.iso');
  console.log(`generating ${(SIZE / 1024 ** 3).toFixed(2)} GiB of input…`);
  const expected = makeInput(input);
  server = await serve(input);
  const url = `http://127.0.0.1:${server.address().port}/media.iso`;
  const script = `
    const { fetchOriginal, parseMediaSource } = await import(${JSON.stringify(join(root, 'tools/iso-fetch/dist/index.js'))});
    const { ContentStore } = await import(${JSON.stringify(join(root, 'libs/cache/dist/index.js'))});
    const { silentLogger } = await import(${JSON.stringify(join(root, 'libs/log/dist/index.js'))});
    const store = new ContentStore(process.env.CACHE);
    const f = await fetchOriginal(parseMediaSource(process.env.URL), { algorithm: 'sha256', hex: process.env.HEX, source: 'bench' },
      { logger: silentLogger(), policy: { retries: 0, delayMs: 1000, idleTimeoutMs: 60000 }, offline: false, force: true, store, refs: store });
    console.log(f.sha256);`;
  const ours = [];
  const pair = [];
  for (let i = 0; i < RUNS; i++) {
    const cache = join(dir, `cache-${i}`);
    const a = await timeChild(process.execPath, ['--input-type=module', '-e', script], { CACHE: cache, URL: url, HEX: expected });
    if (a.out.trim() !== expected) throw new Error('iso-fetch produced a wrong digest');
    ours.push(a.seconds);
    rmSync(cache, { recursive: true, force: true });
    const out = join(dir, `curl-${i}.iso`);
    const b = await timeChild('sh', ['-c', `curl -sS -o "${out}" "${url}" && sha256sum "${out}"`]);
    if (!b.out.startsWith(expected)) throw new Error('curl + sha256sum produced a wrong digest');
    pair.push(b.seconds);
    rmSync(out, { force: true });
  }
  const mOurs = median(ours);
  const mPair = median(pair);
  const gib = SIZE / 1024 ** 3;
  console.log('');
  console.log('| method                      | median s | GiB/s | runs |');
  console.log('|-----------------------------|---------:|------:|-----:|');
  console.log(
    `| iso-fetch (download+verify) | ${mOurs.toFixed(2).padStart(8)} | ${(gib / mOurs).toFixed(2).padStart(5)} | ${ours.map((s) => s.toFixed(2)).join(' ')} |`,
  );
  console.log(
    `| curl -o + sha256sum         | ${mPair.toFixed(2).padStart(8)} | ${(gib / mPair).toFixed(2).padStart(5)} | ${pair.map((s) => s.toFixed(2)).join(' ')} |`,
  );
  console.log('');
  console.log(`ratio: iso-fetch is ${(mPair / mOurs).toFixed(2)}x the speed of curl + sha256sum (goal: > 1.00)`);
} finally {
  server?.close();
  rmSync(dir, { recursive: true, force: true });
}
