#!/usr/bin/env node
// Remaster of a ~1 GiB installer ISO (Debian netinst layout: isolinux + EFI image):
// iso-fetch (xorriso grows a session on a sparse scratch copy; by default the boot ISO is a qcow2
// overlay holding that session and the new superblock over the original, hashed as it is written;
// the raw row writes a plain ISO: a kernel copy of the original with the session laid over it) vs
// Oz's way (extract the whole ISO, edit, genisoimage a new one). Goals: <= 0.2x with the media cached
// and verified, <= 0.3x when the first verification is counted on both sides.
// Inputs live in a temp dir that is removed at the end.
import { createHash, randomFillSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, openSync, readSync, writeSync, closeSync, rmSync, writeFileSync, copyFileSync, readFileSync } from 'node:fs';
import { spawn, execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const SIZE = Number(process.env.BENCH_BYTES ?? 1024 ** 3);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ozkit-bench-remaster-'));
const VOLID = 'Debian 12.5.0 amd64 n';

function put(base, rel, data) {
  mkdirSync(dirname(join(base, rel)), { recursive: true });
  writeFileSync(join(base, rel), data);
}

/** A newc cpio with one file, gzip'd: a real initrd format. */
function tinyInitrd() {
  const name = 'init\0';
  const data = '#!/bin/sh\n';
  const hex = (n) => n.toString(16).padStart(8, '0');
  const pad = (n) => '\0'.repeat((4 - (n % 4)) % 4);
  let s = '070701' + hex(1) + hex(0o100755) + hex(0) + hex(0) + hex(1) + hex(0) + hex(data.length) + hex(0) + hex(0) + hex(0) + hex(0) + hex(name.length) + hex(0);
  s += name + pad(110 + name.length) + data + pad(data.length);
  const t = 'TRAILER!!!\0';
  const h2 = '070701' + hex(0) + hex(0) + hex(0) + hex(0) + hex(1) + hex(0) + hex(0) + hex(0) + hex(0) + hex(0) + hex(0) + hex(t.length) + hex(0);
  s += h2 + t + pad(s.length + 110 + t.length);
  return gzipSync(Buffer.from(s, 'latin1'));
}

function makeIso() {
  const tree = join(dir, 'tree');
  put(tree, 'isolinux/isolinux.cfg', 'path \ninclude menu.cfg\ndefault vesamenu.c32\nprompt 0\ntimeout 0\n');
  put(tree, 'isolinux/menu.cfg', 'include txt.cfg\n');
  put(tree, 'isolinux/txt.cfg', 'label install\n\tmenu label ^Install\n\tkernel /install.amd/vmlinuz\n\tappend vga=788 initrd=/install.amd/initrd.gz --- quiet \n');
  copyFileSync('/usr/lib/ISOLINUX/isolinux.bin', join(tree, 'isolinux/isolinux.bin'));
  copyFileSync('/usr/lib/syslinux/modules/bios/ldlinux.c32', join(tree, 'isolinux/ldlinux.c32'));
  put(tree, 'install.amd/vmlinuz', 'kernel');
  put(tree, 'install.amd/initrd.gz', tinyInitrd());
  put(
    tree,
    'boot/grub/grub.cfg',
    "set timeout=30\nmenuentry 'Install' {\n    linux    /install.amd/vmlinuz vga=788 --- quiet\n    initrd   /install.amd/initrd.gz\n}\n",
  );
  const esp = join(tree, 'boot/grub/efi.img');
  execFileSync('mkfs.fat', ['-C', esp, '8192'], { stdio: 'ignore' });
  execFileSync('mmd', ['-i', esp, '::/EFI', '::/EFI/BOOT']);
  execFileSync('mcopy', ['-i', esp, '/usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed', '::/EFI/BOOT/BOOTX64.EFI']);
  // The bulk: packages in pool/, as on a real DVD.
  const block = Buffer.alloc(8 * 1024 * 1024);
  const files = 16;
  for (let i = 0; i < files; i++) {
    const p = join(tree, `pool/main/p/pkg${i}/pkg${i}_1.0_amd64.deb`);
    mkdirSync(dirname(p), { recursive: true });
    const fd = openSync(p, 'w');
    for (let done = 0; done < SIZE / files; done += block.length) {
      randomFillSync(block);
      writeSync(fd, block, 0, Math.min(block.length, SIZE / files - done));
    }
    closeSync(fd);
  }
  const iso = join(dir, 'debian.iso');
  execFileSync(
    'xorriso',
    [
      '-as',
      'mkisofs',
      '-r',
      '-V',
      VOLID,
      '-o',
      iso,
      '-J',
      '-joliet-long',
      '-isohybrid-mbr',
      '/usr/lib/ISOLINUX/isohdpfx.bin',
      '-b',
      'isolinux/isolinux.bin',
      '-c',
      'isolinux/boot.cat',
      '-boot-load-size',
      '4',
      '-boot-info-table',
      '-no-emul-boot',
      '-eltorito-alt-boot',
      '-e',
      'boot/grub/efi.img',
      '-no-emul-boot',
      '-isohybrid-gpt-basdat',
      tree,
    ],
    { stdio: 'ignore' },
  );
  rmSync(tree, { recursive: true, force: true });
  return iso;
}

function timeChild(cmd, args, env = {}) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve({ seconds: Number(process.hrtime.bigint() - t0) / 1e9, out }) : reject(new Error(`${cmd} exited ${code}`))));
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

try {
  console.log(`generating a ${(SIZE / 1024 ** 3).toFixed(2)} GiB ISO…`);
  const iso = makeIso();
  const work = join(dir, 'work');
  mkdirSync(work);
  const seed = join(work, 'preseed.cfg');
  writeFileSync(seed, 'd-i debian-installer/locale string en_US\n');
  const doc = {
    ozkit: 1,
    workdir: work,
    stages: [],
    template: {
      source: { path: '/x.tdl', sha256: '0' },
      name: 'bench',
      os: { name: 'Debian', version: '12', arch: 'x86_64', install: { type: 'iso', iso, extras: [] } },
      disk: { sizeBytes: 1 },
      packages: [],
      repositories: [],
      files: [],
      commands: [],
      precommands: [],
    },
    answer: {
      format: 'preseed',
      family: 'debian',
      path: seed,
      // iso-fetch checks the answer file against the sha256 ks-render recorded.
      sha256: createHash('sha256').update(readFileSync(seed)).digest('hex'),
      stableSha256: '0',
      kernelArgs: ['priority=critical'],
      placement: { onIso: '/preseed/ozkit.seed', inInitrd: '/preseed.cfg' },
      marker: 'x',
      buildKey: { privateKey: '/k', publicKey: '/k.pub' },
      rootPassword: { generated: true, file: '/p' },
      user: false,
      sshd: true,
    },
  };
  writeFileSync(join(work, 'in.json'), JSON.stringify(doc));
  const scriptFor = (tree) => `
    const { isoFetch } = await import(${JSON.stringify(join(tree, 'tools/iso-fetch/dist/index.js'))});
    const fs = await import('node:fs');
    const doc = JSON.parse(fs.readFileSync(process.env.DOC, 'utf8'));
    const format = process.env.BOOT_ISO_FORMAT;
    const out = await isoFetch(doc, { settings: { cacheDir: process.env.CACHE, offline: false, cacheOriginalMedia: true, cacheModifiedMedia: false, ...(format ? { bootIsoFormat: format } : {}) } });
    console.log(out.media.boot.iso);`;
  const script = scriptFor(root);
  // BENCH_BASELINE_ROOT=<another checkout, built>: its iso-fetch is timed in the same alternation (before/after a change).
  const baselineRoot = process.env.BENCH_BASELINE_ROOT;
  const previous = [];
  const cache = join(dir, 'cache');
  // First verification counted on both sides: iso-fetch with an empty cache hashes the media before remastering;
  // Oz's way gets a sha256sum in front. The first run also fills the cache the timed runs below use.
  const firstOurs = [];
  const firstOz = [];
  const ours = [];
  const oursRaw = [];
  const oz = [];
  /** The medium as xorriso reads it: a qcow2 overlay is flattened first (outside the timing). */
  const readable = (bootIso) => {
    const head = Buffer.alloc(4);
    const fd = openSync(bootIso, 'r');
    readSync(fd, head, 0, 4, 0);
    closeSync(fd);
    if (head.toString('latin1') !== 'QFI\xfb') return bootIso;
    const flat = join(dir, 'check.iso');
    execFileSync('qemu-img', ['convert', '-f', 'qcow2', '-O', 'raw', bootIso, flat]);
    return flat;
  };
  const runOurs = async (tree = root, format) => {
    execFileSync('sync');
    const a = await timeChild(process.execPath, ['--input-type=module', '-e', scriptFor(tree)], {
      DOC: join(work, 'in.json'),
      CACHE: cache,
      ...(format ? { BOOT_ISO_FORMAT: format } : {}),
    });
    const bootIso = a.out.trim();
    const cfg = join(dir, 'check.cfg');
    rmSync(cfg, { force: true });
    const medium = readable(bootIso);
    execFileSync('xorriso', ['-osirrox', 'on', '-indev', medium, '-extract', '/isolinux/isolinux.cfg', cfg], { stdio: 'ignore' });
    if (!readFileSync(cfg, 'utf8').includes('file=/cdrom/preseed/ozkit.seed')) throw new Error('iso-fetch output lacks the edited isolinux.cfg');
    (tree !== root ? previous : format === 'raw' ? oursRaw : ours).push(a.seconds);
    rmSync(bootIso, { force: true });
    if (medium !== bootIso) rmSync(medium, { force: true });
  };
  const runFirstOurs = async () => {
    execFileSync('sync');
    rmSync(cache, { recursive: true, force: true });
    const a = await timeChild(process.execPath, ['--input-type=module', '-e', script], { DOC: join(work, 'in.json'), CACHE: cache });
    firstOurs.push(a.seconds);
    rmSync(a.out.trim(), { force: true });
  };
  const runOz = async (verify = false) => {
    execFileSync('sync');
    // Oz: copy the whole tree out, edit, build a new ISO with genisoimage.
    const ozTree = join(dir, 'oz-tree');
    const ozIso = join(dir, 'oz.iso');
    const b = await timeChild('sh', [
      '-c',
      [
        ...(verify ? [`sha256sum "${iso}" >/dev/null`] : []),
        `xorriso -osirrox on -indev "${iso}" -extract / "${ozTree}" >/dev/null 2>&1`,
        `chmod -R u+w "${ozTree}"`,
        `mkdir -p "${ozTree}/preseed" && cp "${seed}" "${ozTree}/preseed/customiso.seed"`,
        `printf 'default customiso\\ntimeout 1\\nprompt 0\\nlabel customiso\\n  kernel /install.amd/vmlinuz\\n  append file=/cdrom/preseed/customiso.seed priority=critical initrd=/install.amd/initrd.gz --\\n' > "${ozTree}/isolinux/isolinux.cfg"`,
        `genisoimage -r -V "${VOLID}" -J -l -cache-inodes -no-emul-boot -b isolinux/isolinux.bin -c isolinux/boot.cat -boot-load-size 4 -boot-info-table -o "${ozIso}" "${ozTree}" >/dev/null 2>&1`,
      ].join(' && '),
    ]);
    (verify ? firstOz : oz).push(b.seconds);
    rmSync(ozTree, { recursive: true, force: true });
    rmSync(ozIso, { force: true });
  };
  // Each run starts with no dirty pages of the other's output; the order alternates.
  for (let i = 0; i < RUNS; i++) {
    if (i % 2 === 0) {
      await runFirstOurs();
      await runOz(true);
    } else {
      await runOz(true);
      await runFirstOurs();
    }
  }
  for (let i = 0; i < RUNS; i++) {
    if (i % 2 === 0) {
      await runOurs();
      await runOz();
      await runOurs(root, 'raw');
      if (baselineRoot) await runOurs(baselineRoot);
    } else {
      if (baselineRoot) await runOurs(baselineRoot);
      await runOurs(root, 'raw');
      await runOz();
      await runOurs();
    }
  }
  const row = (name, xs) => `| ${name.padEnd(52)} | ${median(xs).toFixed(2).padStart(8)} | ${xs.map((x) => x.toFixed(2)).join(' ')} |`;
  console.log('');
  console.log(`| method (${(SIZE / 1024 ** 3).toFixed(2)} GiB ISO)${' '.repeat(Math.max(0, 33 - (SIZE / 1024 ** 3).toFixed(2).length))} | median s | runs |`);
  console.log(`|${'-'.repeat(54)}|---------:|-----:|`);
  console.log(row('iso-fetch, media cached and verified (qcow2 overlay)', ours));
  console.log(row('iso-fetch, media cached, --boot-iso-format raw', oursRaw));
  console.log(row('Oz: extract all + genisoimage', oz));
  if (baselineRoot) console.log(row(`iso-fetch of ${baselineRoot}, media cached`, previous));
  console.log(row('iso-fetch, first run (hash + remaster)', firstOurs));
  console.log(row('Oz with first verification: sha256sum + the above', firstOz));
  console.log('');
  console.log(`ratio iso-fetch / Oz, media cached:       ${(median(ours) / median(oz)).toFixed(2)} (goal: <= 0.20)`);
  console.log(`ratio iso-fetch raw / Oz, media cached:   ${(median(oursRaw) / median(oz)).toFixed(2)}`);
  console.log(`ratio iso-fetch / Oz, first verification: ${(median(firstOurs) / median(firstOz)).toFixed(2)} (goal: <= 0.30)`);
  if (baselineRoot) console.log(`ratio iso-fetch / the baseline checkout's, media cached: ${(median(ours) / median(previous)).toFixed(2)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
