#!/usr/bin/env node
// One full build of examples/debian-12/debian-12.tdl on the test installer (the main job's image), JEOS
// cache off, media cache warm, compressed output: the phase table from the stages' own NDJSON
// `phase-end` events (guest-install from its console markers, guest-customize from its steps),
// plus each stage's wall time. Boots VMs: on a shared machine run it through the VM lock
// (`/work/wt/vm-lock.sh npm run bench -- build`). BENCH_BUILDS=2 runs it twice (the second
// with warm package caches, where there are any). Everything is written to a temp workdir that is
// removed at the end.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stageEvents } from './stage-events.mjs';
import { testInstallerIso } from './test-installer-iso.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const BUILDS = Number(process.env.BENCH_BUILDS ?? 1);
const tool = (name) => join(root, 'tools', name, 'bin', `${name}.js`);

/** Runs one stage with NDJSON on stderr: stdin from a file, stdout to a file; returns its wall time and events. */
function stage(name, args, input, output, env) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, [tool(name), '--log-format', 'json', ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    const out = [];
    let err = '';
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => (err += d));
    if (input) child.stdin.end(readFileSync(input));
    else child.stdin.end();
    child.on('error', reject);
    child.on('exit', (code) => {
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const events = stageEvents(err);
      if (code !== 0) {
        const last = events
          .filter((e) => e.level === 'error')
          .map((e) => e.msg)
          .join('; ');
        return reject(new Error(`${name} exited ${code}: ${last || err.slice(-2000)}`));
      }
      writeFileSync(output, Buffer.concat(out));
      resolve({ seconds, events });
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'ozkit-bench-build-'));
try {
  const iso = testInstallerIso(root);
  const sha = execFileSync('sha256sum', [iso], { encoding: 'utf8' }).split(' ')[0];
  // The Debian archive as the main job takes it (never a built-in host): the preseed's and the
  // example's repository (a mirror.example placeholder, which apt cannot reach).
  const archive = execFileSync(process.execPath, [join(root, 'test/installer/archive-mirror.mjs')], { encoding: 'utf8' }).split('\n')[0];
  const tdl = join(dir, 'debian-12.tdl');
  writeFileSync(
    tdl,
    readFileSync(join(root, 'examples/debian-12/debian-12.tdl'), 'utf8').replaceAll('http://mirror.example/debian', archive.replaceAll('&', '&amp;')),
  );
  const env = { OZKIT_CACHE_JEOS: 'no', OZKIT_CPUS: process.env.OZKIT_CPUS ?? '2', OZKIT_DEBIAN_MIRROR: archive };
  // BENCH_PACKAGE_CACHE=yes: [cache] packages on, in a cache directory of this run, so the first
  // build fills the package cache and the next ones (BENCH_BUILDS=2) read from it.
  if (process.env.BENCH_PACKAGE_CACHE === 'yes') Object.assign(env, { OZKIT_CACHE_PACKAGES: 'yes', OZKIT_CACHE_DIR: join(dir, 'cache') });
  const builds = [];
  for (let b = 0; b < BUILDS; b++) {
    const work = join(dir, `build-${b}`);
    const f = (n) => join(work, `${n}.json`);
    const rows = [];
    const run = async (name, args, input, output) => {
      const r = await stage(name, args, input, output, env);
      rows.push({ stage: name, phase: '(whole stage)', seconds: r.seconds });
      for (const e of r.events) if (e.event === 'phase-end') rows.push({ stage: name, phase: e.phase, seconds: e.seconds, ok: e.ok });
      return r;
    };
    const t0 = Date.now();
    execFileSync('mkdir', ['-p', work]);
    await run('tdl-validate', ['--workdir', work, tdl], undefined, f('1'));
    await run('ks-render', [], f('1'), f('2'));
    // The media cache is warm after the first iso-fetch of this ISO on this machine (the bench's own first run at worst).
    await run('iso-fetch', ['--iso', iso, '--checksum', `sha256:${sha}`], f('2'), f('3'));
    await run('guest-install', [], f('3'), f('4'));
    await run('guest-customize', ['--compress'], f('4'), f('5'));
    builds.push({ rows, total: (Date.now() - t0) / 1000 });
    rmSync(work, { recursive: true, force: true });
  }
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log('');
  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, TCG unless KVM is usable; load average at the end ${load}`);
  if (env.OZKIT_CACHE_PACKAGES) console.log('[cache] packages = yes (a package cache of this run: empty for build 1)');
  console.log('');
  const header = ['stage', 'phase', ...builds.map((_, i) => `build ${i + 1} s`)];
  console.log(
    `| ${header[0].padEnd(15)} | ${header[1].padEnd(20)} | ${header
      .slice(2)
      .map((h) => h.padStart(10))
      .join(' | ')} |`,
  );
  console.log(`|${'-'.repeat(17)}|${'-'.repeat(22)}|${builds.map(() => '-'.repeat(11) + ':').join('|')}|`);
  const keys = [];
  for (const r of builds[0].rows) if (!keys.some((k) => k.stage === r.stage && k.phase === r.phase)) keys.push({ stage: r.stage, phase: r.phase });
  for (const k of keys) {
    const cells = builds.map((b) => b.rows.filter((r) => r.stage === k.stage && r.phase === k.phase).reduce((sum, r) => sum + r.seconds, 0));
    console.log(`| ${k.stage.padEnd(15)} | ${k.phase.padEnd(20)} | ${cells.map((c) => c.toFixed(1).padStart(10)).join(' | ')} |`);
  }
  console.log(`| ${'total'.padEnd(15)} | ${''.padEnd(20)} | ${builds.map((b) => b.total.toFixed(1).padStart(10)).join(' | ')} |`);
  if (builds.length > 1) console.log(`\nratio second build / first: ${(builds[1].total / builds[0].total).toFixed(2)} (goal: <= 0.50 with packages cached)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
