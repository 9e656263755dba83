#!/usr/bin/env node
// The seed problem, measured: the shared cloud-init test image (test/support/cloud-image.ts) sealed
// twice by guest-customize, `--target-cloud openstack` (datasource_list pinned) and `--target-cloud
// none` (cloud-init as Debian ships it), each booted on a throw-away overlay (a) with an OpenStack
// config drive and (b) with no metadata at all. Power-on → sshd (the SSH banner through the forwarded
// port) and power-on → cloud-init done (its "finished at … Up N seconds" console line), and the ratio
// pinned / unpinned. Goal: the pinned image without metadata is no slower to sshd than with it.
// Boots VMs: run it through the VM lock (`/work/wt/vm-lock.sh npm run bench -- verify-boot`).
// BENCH_BOOT_TIMEOUT (seconds, default 900) ends a boot that has not got that far.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer, createServerModuleRunner } from 'vite';

const root = fileURLToPath(new URL('..', import.meta.url));
const TIMEOUT_S = Number(process.env.BENCH_BOOT_TIMEOUT ?? 900);
const vm = await import(join(root, 'libs/vm/dist/index.js'));
const { writeMetadataIso, randomIdentity } = await import(join(root, 'tools/image-verify/dist/index.js'));

// The test support is TypeScript: vite's module runner loads it as vitest would.
const server = await createServer({
  root,
  configFile: false,
  logLevel: 'error',
  server: { middlewareMode: true, hmr: false, ws: false },
  appType: 'custom',
  optimizeDeps: { noDiscovery: true, include: [] },
});
const runner = createServerModuleRunner(server.environments.ssr, { hmr: false });
const { cloudDebianImage, documentForDisk, sealTemplate } = await runner.import('/test/support/cloud-image.ts');
const { runStageCli } = await runner.import('/test/support/installed-image.ts');

const { silentLogger } = await import(join(root, 'libs/log/dist/index.js'));
const logger = silentLogger('verify-boot');

/** Seconds until the forwarded port gives an SSH banner (slirp accepts before the guest listens). */
function banner(port) {
  return new Promise((resolve) => {
    const s = new Socket();
    let data = '';
    const done = (ok) => (s.destroy(), resolve(ok));
    s.setTimeout(3000, () => done(false));
    s.on('data', (d) => ((data += d), data.startsWith('SSH-') && done(true)));
    s.once('error', () => done(false));
    s.once('close', () => resolve(data.startsWith('SSH-')));
    s.connect(port, '127.0.0.1');
  });
}

async function boot(image, metadata, dir, accel) {
  mkdirSync(join(dir, 'run'), { recursive: true });
  const overlay = join(dir, 'overlay.qcow2');
  const info = JSON.parse(execFileSync('qemu-img', ['info', '-U', '--output=json', image], { encoding: 'utf8' }));
  await vm.createDisk(overlay, 'qcow2', info['virtual-size'] + 1024 ** 3, { backing: { path: image, format: 'qcow2' } });
  let cdrom;
  if (metadata === 'config-drive') {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'user')]);
    const identity = randomIdentity(readFileSync(join(dir, 'user.pub'), 'utf8').trim());
    cdrom = await writeMetadataIso('config-drive', identity, join(dir, 'metadata'), join(dir, 'metadata.iso'));
  }
  const backend = vm.defaultBackend();
  const guest = await backend.start(
    {
      arch: 'x86_64',
      accel,
      cpus: Number(process.env.OZKIT_CPUS ?? 2),
      memoryMiB: 1024,
      disks: [{ path: overlay, format: 'qcow2', bus: 'virtio' }],
      ...(cdrom ? { cdrom } : {}),
      boot: 'disk',
      network: { ssh: {} },
      runDir: join(dir, 'run'),
      consoleLog: join(dir, 'console.log'),
    },
    logger,
  );
  const t0 = Date.now();
  const since = () => Math.round((Date.now() - t0) / 100) / 10;
  const result = { sshd: undefined, cloudInitDone: undefined, cloudInitUp: undefined };
  try {
    const finished = guest.console
      .waitFor(/Cloud-init v\. \S+ finished at .*Up ([\d.]+) seconds/, TIMEOUT_S * 1000, { includePast: true })
      .then((line) => {
        result.cloudInitDone = since();
        result.cloudInitUp = Number(/Up ([\d.]+) seconds/.exec(line)[1]);
      })
      .catch(() => undefined);
    while (result.sshd === undefined && since() < TIMEOUT_S && !guest.exitStatus) {
      if (await banner(guest.ssh.port)) result.sshd = since();
      else await new Promise((r) => setTimeout(r, 500));
    }
    await Promise.race([finished, new Promise((r) => setTimeout(r, Math.max(0, TIMEOUT_S * 1000 - (Date.now() - t0))))]);
  } finally {
    await guest.kill();
  }
  return result;
}

const dir = mkdtempSync(join(tmpdir(), 'ozkit-bench-verify-boot-'));
try {
  const cloud = await cloudDebianImage();
  const accel = (await vm.defaultBackend().chooseAccel(process.env.OZKIT_ACCEL ?? 'auto', { arch: 'x86_64' })).accel;
  const env = { ...process.env, OZKIT_ACCEL: accel, OZKIT_CPUS: process.env.OZKIT_CPUS ?? '2' };
  const sealed = {};
  for (const target of ['openstack', 'none']) {
    const work = join(dir, `seal-${target}`);
    const doc = await documentForDisk({
      tdl: sealTemplate(`bench-${target}`),
      workdir: work,
      disk: cloud.disk,
      virtualSize: cloud.virtualSize,
      privateKey: cloud.privateKey,
      publicKey: cloud.publicKey,
      env,
    });
    const output = join(work, `${target}.qcow2`);
    const r = await runStageCli('guest-customize', ['--target-cloud', target, '--output', output], JSON.stringify(doc), env);
    if (r.code !== 0) throw new Error(`guest-customize --target-cloud ${target} exited ${r.code}: ${r.stderr.split('\n').slice(-10).join('\n')}`);
    sealed[target] = output;
  }
  const rows = [];
  for (const metadata of ['config-drive', 'none'])
    for (const target of ['openstack', 'none']) {
      const r = await boot(sealed[target], metadata, join(dir, `boot-${target}-${metadata}`), accel);
      rows.push({ target, metadata, ...r });
      console.error(`${target} / ${metadata}: sshd ${r.sshd ?? '—'} s, cloud-init done ${r.cloudInitDone ?? '—'} s`);
    }
  const cell = (v) => (v === undefined ? `> ${TIMEOUT_S}` : v.toFixed(1)).padStart(8);
  const ratio = (a, b) => (a !== undefined && b !== undefined ? (a / b).toFixed(2) : '—').padStart(8);
  console.log(`\nverify-boot (${accel}, ${env.OZKIT_CPUS} vCPUs): seconds from power-on`);
  console.log(`${'target-cloud'.padEnd(14)}${'metadata'.padEnd(14)}${'sshd'.padStart(8)}${'ci done'.padStart(8)}${'ci up'.padStart(8)}`);
  for (const r of rows) console.log(`${r.target.padEnd(14)}${r.metadata.padEnd(14)}${cell(r.sshd)}${cell(r.cloudInitDone)}${cell(r.cloudInitUp)}`);
  console.log(`\nratio pinned/unpinned     ${'sshd'.padStart(8)}${'ci done'.padStart(8)}`);
  for (const metadata of ['config-drive', 'none']) {
    const p = rows.find((r) => r.target === 'openstack' && r.metadata === metadata);
    const u = rows.find((r) => r.target === 'none' && r.metadata === metadata);
    console.log(`${metadata.padEnd(26)}${ratio(p.sshd, u.sshd)}${ratio(p.cloudInitDone, u.cloudInitDone)}`);
  }
  const p = (m) => rows.find((r) => r.target === 'openstack' && r.metadata === m);
  console.log(`pinned, no metadata / config drive, sshd: ${ratio(p('none').sshd, p('config-drive').sshd).trim()} (goal ≤ 1.00)`);
} finally {
  await runner.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}
