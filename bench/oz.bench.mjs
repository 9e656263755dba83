#!/usr/bin/env node
// Races Oz 0.17 (Debian's `oz` package) against ozkit: both install the same image from the same
// test installer ISO (`npm run --silent test-installer`) with the same preseed — Oz's own
// oz/auto/Debian9.auto, which Oz uses when not given -a and ozkit takes with `ks-render --auto` —
// the same vCPUs, memory, disk size (4 GiB qcow2) and accelerator (TCG), one after the other,
// alternating (ozkit, Oz, ozkit, Oz, … BENCH_ROUNDS rounds, at least 2). It prints each run's wall
// time, its phases, the medians and the ratio ozkit / Oz (goal ≤ 0.8).
//
// Install only, on both sides: `oz-install` without -u does no customization, and Oz's -u could not
// run here anyway (its Debian customization needs cron in the image; the test installer's system has
// none). ozkit: tdl-validate → ks-render --auto → iso-fetch → guest-install, JEOS cache off and a
// fresh cache directory per run (so it really remasters and installs); Oz: `oz-install -d3` with
// [cache] original_media, modified_media and jeos off (it copies the ISO, extracts it with
// libguestfs, rebuilds it with genisoimage and installs). Neither checks the ISO's checksum: Oz 0.17's
// checksum loop never ends on Python 3 (`os.read` gives b'', compared with ''), so ozkit gets
// `--checksum none` too. Oz's TDL says Debian 9 (its newest Debian); ozkit's says 12; same ISO.
//
// Oz runs as /work/shared/design/ENVIRONMENT.md says it runs here: in a network namespace of the
// bench's own, with a virtlogd and libvirtd of its own inside it (and, since another libvirtd may
// be serving this machine, a mount namespace of their own: private /run/libvirt, /var/lib/libvirt,
// /var/log/libvirt, /var/cache/libvirt and a copy of /etc/libvirt, all under the bench's temp dir),
// libvirt's `default` NAT network started there only, `[libvirt] type = qemu`,
// LIBGUESTFS_BACKEND=direct LIBGUESTFS_BACKEND_SETTINGS=force_tcg and Debian's /usr/bin/python3.
// The libguestfs appliance is built once before the race (not counted: it is a per-machine cache).
// ozkit's four stages run in that same network namespace (`nsenter --net`, not its mount namespace),
// so both guests reach the same things: Oz's guest, on libvirt's NAT network, reaches the namespace's
// dnsmasq and nothing else; ozkit's guest, on QEMU user networking, reaches what a socket in the
// namespace reaches — its loopback and the virbr0 address — and nothing else. Neither has a route
// out of the namespace, so neither installer's `apt-get update` reaches an archive (each console's
// apt lines say so in the table's last column). Each side's QEMU command line (Oz's from libvirt's
// domain log in the bench's private /var/log/libvirt/qemu, ozkit's from guest-install -v) is
// printed after the table.
//
// Boots VMs for ~20 min (2 rounds; figures in README.md): run it through the VM lock (`bash /work/wt/vm-lock.sh npm run bench -- oz`),
// as root. BENCH_ROUNDS (default 2), BENCH_CPUS (2), BENCH_MEMORY (MiB, 1024), BENCH_TIMEOUT (seconds
// per install, 2400). Everything it starts (stages, QEMU, libvirtd, virtlogd, dnsmasq, the namespace)
// is stopped and its temp dir removed at the end, on failure and on Ctrl-C.
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stageEvents } from './stage-events.mjs';
import { testInstallerIso } from './test-installer-iso.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const ROUNDS = Math.max(2, Number(process.env.BENCH_ROUNDS ?? 2));
const CPUS = Number(process.env.BENCH_CPUS ?? 2);
const MEMORY = Number(process.env.BENCH_MEMORY ?? 1024);
const TIMEOUT = Number(process.env.BENCH_TIMEOUT ?? 2400);
const NAME = 'ozkit-bench-oz';
const ROOTPW = 'ozkit-bench-oz';
const OZ_AUTO = '/usr/lib/python3/dist-packages/oz/auto/Debian9.auto';
const PYTHON = '/usr/bin/python3';
const tool = (name) => join(root, 'tools', name, 'bin', `${name}.js`);
const seconds = (t0) => Number(process.hrtime.bigint() - t0) / 1e9;
const tail = (text, n) => text.trimEnd().split('\n').slice(-n).join('\n');

// What this bench needs that a fresh machine lacks: say so, exit 69, start nothing.
const needs = [
  ['/usr/bin/oz-install', 'oz'],
  [OZ_AUTO, 'oz'],
  [PYTHON, 'python3'],
  ['/usr/sbin/libvirtd', 'libvirt-daemon-system'],
  ['/usr/sbin/virtlogd', 'libvirt-daemon-system'],
  ['/etc/libvirt/qemu/networks/default.xml', 'libvirt-daemon-system'],
  ['/usr/bin/virsh', 'libvirt-clients'],
  ['/usr/sbin/dnsmasq', 'dnsmasq-base'],
  ['/usr/bin/genisoimage', 'genisoimage'],
  ['/usr/bin/qemu-system-x86_64', 'qemu-system-x86'],
  ['/usr/bin/nsenter', 'util-linux'],
  ['/usr/bin/unshare', 'util-linux'],
];
const missing = [...new Set(needs.filter(([path]) => !existsSync(path)).map(([, pkg]) => pkg))];
if (missing.length) {
  console.error(`oz bench: missing ${missing.join(', ')}: apt-get install --no-install-recommends ${missing.join(' ')}`);
  process.exit(69);
}
if (process.getuid?.() !== 0) {
  console.error('oz bench: runs as root (a network namespace, libvirtd and virtlogd of its own)');
  process.exit(69);
}

const dir = mkdtempSync(join(tmpdir(), 'ozkit-bench-oz-'));
// libvirt's QEMU runs as libvirt-qemu: it must reach Oz's disk and ISO under here.
chmodSync(dir, 0o755);
const children = new Set();
let ozHost;

/** Runs a command to its end; resolves with its exit, output (also written to `log`) and wall time. */
function run(command, args, { env, cwd, log, input } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(command, args, { cwd, env: env ?? process.env, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    children.add(child);
    const out = [];
    let err = '';
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => (err += d));
    if (input !== undefined) child.stdin.end(input);
    child.on('error', (e) => (children.delete(child), reject(e)));
    child.on('close', (code, signal) => {
      children.delete(child);
      const stdout = Buffer.concat(out);
      if (log) writeFileSync(log, Buffer.concat([stdout, Buffer.from(err)]));
      resolve({ code, signal, stdout, stderr: err, seconds: seconds(t0) });
    });
  });
}

/** One ozkit build: the four stages as a user pipes them, each a process of its own. */
async function ozkitBuild(iso, n, netns) {
  const work = join(dir, `ozkit-${n}`);
  mkdirSync(work, { recursive: true });
  const tdl = join(work, `${NAME}.tdl`);
  writeFileSync(tdl, template('12', iso, '4G'));
  const env = {
    ...process.env,
    OZKIT_CACHE_JEOS: 'no',
    OZKIT_CACHE_DIR: join(work, 'cache'),
    OZKIT_ACCEL: 'tcg',
    OZKIT_CPUS: String(CPUS),
    OZKIT_MEMORY: String(MEMORY),
    OZKIT_IMAGE_TYPE: 'qcow2',
    OZKIT_TIMEOUT_INSTALL: String(TIMEOUT),
    OZKIT_TIMEOUT_INACTIVITY: '600',
  };
  const t0 = process.hrtime.bigint();
  const stages = [
    ['tdl-validate', ['--workdir', join(work, 'build'), tdl]],
    ['ks-render', ['--auto', OZ_AUTO]],
    ['iso-fetch', ['--checksum', 'none']],
    ['guest-install', []],
  ];
  const result = { tool: 'ozkit', stages: {}, phases: {}, ok: false };
  let doc = '';
  for (const [name, args] of stages) {
    // In the bench's network namespace, as Oz's libvirtd is: the same reachability for both guests.
    const verbose = name === 'guest-install' ? ['-v'] : [];
    const r = await run('nsenter', [`--net=/run/netns/${netns}`, '--', process.execPath, tool(name), '--log-format', 'json', ...verbose, ...args], {
      env,
      input: doc,
      log: join(work, `${name}.log`),
    });
    const events = stageEvents(r.stderr);
    if (name === 'guest-install') result.qemu = events.find((e) => /^starting \S*qemu-system/.test(e.msg ?? ''))?.msg.slice('starting '.length);
    result.stages[name] = r.seconds;
    for (const e of events) if (e.event === 'phase-end') result.phases[e.phase] = e.seconds;
    if (r.code !== 0) {
      const errors = stageEvents(r.stderr)
        .filter((e) => e.level === 'error')
        .map((e) => e.msg);
      result.failure = `${name} exited ${r.code ?? r.signal}: ${errors.join('; ') || tail(r.stderr, 20)}`;
      const consoleLog = join(work, 'build', 'install-console.log');
      if (existsSync(consoleLog)) result.consoleTail = tail(readFileSync(consoleLog, 'utf8'), 15);
      break;
    }
    doc = r.stdout;
  }
  result.seconds = seconds(t0);
  if (!result.failure) {
    const disk = JSON.parse(doc).disk;
    const consoleLog = disk?.consoleLog || join(work, 'build', 'install-console.log');
    result.console = existsSync(consoleLog) ? readFileSync(consoleLog, 'utf8') : '';
    result.ok = Boolean(disk?.path && existsSync(disk.path));
    if (!result.ok) result.failure = `guest-install succeeded but its disk ${disk?.path} is not there`;
  }
  rmSync(work, { recursive: true, force: true });
  return result;
}

function template(version, iso, size) {
  return `<template>
  <name>${NAME}</name>
  <description>the oz bench's image: the test installer with Oz's Debian preseed</description>
  <os>
    <name>Debian</name>
    <version>${version}</version>
    <arch>x86_64</arch>
    <rootpw>${ROOTPW}</rootpw>
    <install type='iso'>
      <iso>file://${iso}</iso>
    </install>
  </os>
  <disk>
    <size>${size}</size>
  </disk>
</template>
`;
}

/**
 * The network namespace with its own libvirtd, in a mount namespace of its own so that it shares
 * no socket, pid file or state with a libvirtd this machine may already run.
 */
class OzHost {
  constructor(base) {
    this.base = base;
    this.ns = `ozkit-bench-oz-${process.pid}`;
    this.pidFiles = { libvirtd: join(base, 'libvirtd.pid'), virtlogd: join(base, 'virtlogd.pid') };
  }

  async start() {
    execFileSync('ip', ['netns', 'add', this.ns]);
    this.created = true;
    const tree = join(this.base, 'tree');
    for (const d of ['lib/boot', 'lib/images', 'lib/qemu', 'lib/dnsmasq', 'lib/sanlock', 'log/qemu', 'cache', 'run']) mkdirSync(join(tree, d), { recursive: true });
    execFileSync('chown', ['libvirt-qemu:libvirt-qemu', join(tree, 'lib/qemu')]);
    chmodSync(join(tree, 'lib/qemu'), 0o750);
    // Libvirt's configuration as installed, without the domains, autostart links and networks'
    // state of whoever else uses it.
    cpSync('/etc/libvirt', join(tree, 'etc'), { recursive: true, verbatimSymlinks: true });
    for (const sub of ['qemu', 'qemu/autostart', 'qemu/networks/autostart'].map((s) => join(tree, 'etc', s)))
      if (existsSync(sub)) for (const f of readdirSync(sub)) if (f.endsWith('.xml')) rmSync(join(sub, f), { force: true });
    const setup = join(this.base, 'setup.sh');
    writeFileSync(
      setup,
      `set -eu
t=${tree}
# A fresh machine whose libvirtd never ran has no /run/libvirt yet.
mkdir -p /run/libvirt /var/lib/libvirt /var/log/libvirt /var/cache/libvirt
mount -t tmpfs -o mode=0755 ozkit-bench-oz /run/libvirt
mount --bind "$t/lib" /var/lib/libvirt
mount --bind "$t/log" /var/log/libvirt
mount --bind "$t/cache" /var/cache/libvirt
mount --bind "$t/etc" /etc/libvirt
ip link set lo up
virtlogd -d -p ${this.pidFiles.virtlogd}
libvirtd -d -p ${this.pidFiles.libvirtd}
`,
    );
    const r = spawnSync('ip', ['netns', 'exec', this.ns, 'unshare', '--mount', '--propagation', 'private', 'sh', setup], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`starting libvirtd in network namespace ${this.ns}: ${r.stderr.trim()}`);
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (existsSync(this.pidFiles.libvirtd) && this.virsh(['uri']).status === 0) break;
      if (Date.now() > deadline) throw new Error(`libvirtd in ${this.ns} did not answer within 60 s: ${this.virsh(['uri']).stderr.trim()}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const net = this.virsh(['net-start', 'default']);
    if (net.status !== 0) throw new Error(`virsh net-start default (in ${this.ns}): ${net.stderr.trim()}`);
  }

  /** The command's argv run inside the namespaces of the libvirtd started above. */
  inside(argv) {
    const pid = readFileSync(this.pidFiles.libvirtd, 'utf8').trim();
    return ['nsenter', ['-t', pid, '-m', '-n', '--', ...argv]];
  }

  virsh(args) {
    const [cmd, argv] = this.inside(['virsh', '-q', '-c', 'qemu:///system', ...args]);
    return spawnSync(cmd, argv, { encoding: 'utf8', timeout: 60_000 });
  }

  /** Everything in the namespace, then the namespace itself; safe to call twice and after a failed start. */
  stop() {
    if (!this.created) return;
    if (existsSync(this.pidFiles.libvirtd)) {
      for (const d of this.virsh(['list', '--name']).stdout?.split('\n').filter(Boolean) ?? []) this.virsh(['destroy', d.trim()]);
      this.virsh(['net-destroy', 'default']);
    }
    const pids = () =>
      (spawnSync('ip', ['netns', 'pids', this.ns], { encoding: 'utf8' }).stdout ?? '')
        .split('\n')
        .map(Number)
        .filter((p) => p > 0);
    for (const signal of ['SIGTERM', 'SIGKILL']) {
      for (const p of pids()) {
        try {
          process.kill(p, signal);
        } catch {
          // already gone
        }
      }
      const until = Date.now() + 10_000;
      while (pids().length && Date.now() < until) spawnSync('sleep', ['0.2']);
    }
    const left = pids();
    spawnSync('ip', ['netns', 'delete', this.ns]);
    this.created = false;
    if (left.length) console.error(`oz bench: processes ${left.join(' ')} outlived SIGKILL in ${this.ns}`);
  }
}

/** Builds libguestfs's appliance once (a per-machine cache under /var/tmp), as Oz's first run here would. */
async function warmLibguestfs(host, iso) {
  const [cmd, argv] = host.inside([
    'env',
    ...ozEnv(join(dir, 'warm-tmp')),
    PYTHON,
    '-c',
    `import guestfs, sys\ng = guestfs.GuestFS(python_return_dict=True)\ng.add_drive_opts(sys.argv[1], readonly=1, format='raw')\ng.launch()\ng.close()`,
    iso,
  ]);
  mkdirSync(join(dir, 'warm-tmp'), { recursive: true });
  const r = await run(cmd, argv);
  rmSync(join(dir, 'warm-tmp'), { recursive: true, force: true });
  if (r.code !== 0) throw new Error(`libguestfs appliance (python3-guestfs) does not start: ${tail(r.stderr, 10)}`);
  return r.seconds;
}

function ozEnv(tmp) {
  return [
    'LIBGUESTFS_BACKEND=direct',
    'LIBGUESTFS_BACKEND_SETTINGS=force_tcg',
    'LIBGUESTFS_CACHEDIR=/var/tmp',
    `LIBGUESTFS_TMPDIR=${tmp}`,
    `TMPDIR=${tmp}`,
    `HOME=${tmp}`,
  ];
}

/**
 * Waits for the domain, prints "domain-up" on stderr, copies its serial console (libvirt's console
 * stream) to stdout until it closes, then "domain-gone" once libvirt no longer runs it.
 */
const CONSOLE_READER = `
import sys, time, libvirt
libvirt.registerErrorHandler(lambda ctx, err: None, None)
conn = libvirt.open('qemu:///system')
dom = None
while dom is None:
    try:
        dom = conn.lookupByName(sys.argv[1])
    except libvirt.libvirtError:
        time.sleep(0.5)
sys.stderr.write('domain-up\\n'); sys.stderr.flush()
st = conn.newStream(0)
try:
    dom.openConsole(None, st, libvirt.VIR_DOMAIN_CONSOLE_FORCE)
    while True:
        data = st.recv(65536)
        if not data:
            break
        sys.stdout.buffer.write(data); sys.stdout.buffer.flush()
except libvirt.libvirtError as e:
    sys.stderr.write('console: %s\\n' % e.get_error_message())
while True:
    try:
        if not dom.isActive():
            break
    except libvirt.libvirtError:
        break
    time.sleep(1)
sys.stderr.write('domain-gone\\n'); sys.stderr.flush()
`;

/** One Oz build: `oz-install -d3` on an oz.cfg and TDL of its own; its guest's serial console read from the pty. */
async function ozBuild(host, iso, n) {
  const work = join(dir, `oz-${n}`);
  for (const d of ['images', 'data', 'screenshots', 'tmp']) mkdirSync(join(work, d), { recursive: true });
  chmodSync(work, 0o755);
  writeFileSync(
    join(work, 'oz.cfg'),
    `[paths]
output_dir = ${work}/images
data_dir = ${work}/data
screenshot_dir = ${work}/screenshots
sshprivkey = ${work}/id_rsa-icicle-gen

[libvirt]
uri = qemu:///system
type = qemu
image_type = qcow2
cpus = ${CPUS}
memory = ${MEMORY}

[cache]
original_media = no
modified_media = no
jeos = no

[timeouts]
install = ${TIMEOUT}
inactivity = 600
boot = 900
shutdown = 90
`,
  );
  writeFileSync(join(work, `${NAME}.tdl`), template('9', iso, '4'));
  const [cmd, argv] = host.inside([
    'env',
    ...ozEnv(join(work, 'tmp')),
    PYTHON,
    '/usr/bin/oz-install',
    '-d3',
    '-c',
    join(work, 'oz.cfg'),
    '-t',
    String(TIMEOUT),
    join(work, `${NAME}.tdl`),
  ]);
  const t0 = process.hrtime.bigint();
  const result = { tool: 'Oz', stages: {}, phases: {}, ok: false };
  const consoleLines = [];
  let domainUp;
  let domainGone;
  let consoleNote = '';
  // Oz names no phases: when its domain appears and goes, and its serial console (the test
  // installer's log lines), from libvirt itself — a console stream of libvirtd, as `virsh console`
  // reads it, by Debian's python3-libvirt, inside the namespace.
  const [rcmd, rargv] = host.inside([PYTHON, '-c', CONSOLE_READER, NAME]);
  const reader = spawn(rcmd, rargv, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(reader);
  let partial = '';
  reader.stdout.on('data', (d) => {
    const lines = (partial + d.toString('utf8').replace(/\r/g, '')).split('\n');
    partial = lines.pop();
    const at = seconds(t0) - (domainUp ?? 0);
    for (const l of lines) consoleLines.push({ at, line: l });
  });
  reader.stderr.on('data', (d) => {
    for (const l of d.toString('utf8').split('\n').filter(Boolean)) {
      if (l === 'domain-up') domainUp = seconds(t0);
      else if (l === 'domain-gone') domainGone = seconds(t0);
      else consoleNote += `${l} `;
    }
  });
  const readerDone = new Promise((r) => reader.on('close', () => (children.delete(reader), r())));
  const r = await run(cmd, argv, { cwd: work, log: join(work, 'oz-install.log') });
  // The reader ends by itself once the domain is gone; Oz exiting before that means it never came.
  await Promise.race([readerDone, new Promise((r) => setTimeout(r, 5000))]);
  if (reader.exitCode === null) reader.kill();
  result.seconds = r.seconds;
  const log = r.stdout.toString('utf8') + r.stderr;
  result.console = consoleLines.map((c) => c.line).join('\n');
  if (domainUp !== undefined) {
    result.stages.media = domainUp;
    result.stages.vm = (domainGone ?? r.seconds) - domainUp;
    // The test installer's own log lines mark the same phases guest-install reads from ozkit's markers.
    const first = (re) => consoleLines.find((c) => re.test(c.line))?.at;
    const answer = first(/ozkit-installer: preseed:/);
    const loader = first(/\binstall(?:ing)?\s+(?:the\s+)?(?:grub|boot\s*loader)/i);
    const complete = first(/installation complete/);
    if (answer !== undefined) result.phases['boot-to-answer'] = answer;
    if (answer !== undefined && loader !== undefined) result.phases.packages = loader - answer;
    if (loader !== undefined && complete !== undefined) result.phases['boot-loader'] = complete - loader;
    if (complete !== undefined) result.phases['power-off'] = result.stages.vm - complete;
  }
  // libvirt's domain log (the bench's private /var/log/libvirt/qemu) starts with QEMU's command line.
  const domainLog = join(host.base, 'tree', 'log', 'qemu', `${NAME}.log`);
  if (existsSync(domainLog)) {
    // One argument a line, each but the last ending in a backslash.
    const lines = readFileSync(domainLog, 'utf8').split('\n');
    // (not QEMU's own later messages, "qemu-system-x86_64: terminating on signal 15").
    let i = lines.findLastIndex((l) => /qemu-system-[\w-]+(\s|$)/.test(l));
    const argv = [];
    while (i >= 0 && i < lines.length) {
      argv.push(lines[i].replace(/\\$/, '').trim());
      if (!lines[i].endsWith('\\')) break;
      i++;
    }
    if (argv.length) result.qemu = argv.join(' ');
    rmSync(domainLog, { force: true });
  }
  const image = join(work, 'images', `${NAME}.qcow2`);
  // Oz's own word for success, its image, and (when the console came through) the installer's.
  const succeeded = log.includes(`Install of ${NAME} succeeded`);
  const installed = consoleLines.some((c) => /installation complete/.test(c.line));
  if (!consoleLines.length) result.consoleNote = `console not captured ${consoleNote}`.trim();
  if (r.code === 0 && existsSync(image) && succeeded && (installed || !consoleLines.length)) result.ok = true;
  else {
    // Where Oz stopped: its last step ("Fetching…", "Copying ISO contents…", "Running install…",
    // "Waiting for … to finish installing"), its error, and the guest console's last lines.
    const steps = log
      .split('\n')
      .filter((l) => /^(Fetching|Copying|Setting up guestfs|Generating|Modifying|Running install|Waiting for|Install of|Cleaning up)/.test(l));
    result.failure =
      `oz-install exited ${r.code ?? r.signal} after ${r.seconds.toFixed(0)} s` +
      (r.code === 0 && !succeeded ? ` without logging "Install of ${NAME} succeeded"` : '') +
      (r.code === 0 && succeeded && !installed ? ' though the installer never said "installation complete"' : '') +
      `; last step: ${steps.at(-1) ?? '(none logged)'}`;
    result.logTail = tail(log, 25);
    result.consoleTail = tail(result.console, 15);
  }
  rmSync(work, { recursive: true, force: true });
  return result;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : undefined;
};

/** A few facts both installers' consoles tell: how long the copy took, what apt-get update got from the archive. */
function consoleFacts(text = '') {
  const copy = /base system copied in (\d+) s/.exec(text)?.[1];
  // apt-get update exits 0 when it cannot reach the archive, so its own lines say which it was.
  const fetched = /^Fetched (\S+ \S+) in (\S+)/m.exec(text);
  const unreachable = /Temporary failure resolving|Could not resolve|Failed to fetch|Network is unreachable|no network: apt-get update skipped/.test(text);
  const apt = fetched && !unreachable ? `apt-get update fetched ${fetched[1]} in ${fetched[2]}` : unreachable ? 'apt-get update: archive unreachable' : '';
  return [copy ? `copy ${copy} s` : '', apt].filter(Boolean).join(', ');
}

let stopping = false;
async function shutdown(signal) {
  if (stopping) return;
  stopping = true;
  console.error(`\noz bench: ${signal}: stopping what it started…`);
  for (const c of children) c.kill('SIGTERM');
  const until = Date.now() + 30_000;
  while ([...children].some((c) => c.exitCode === null && c.signalCode === null) && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  ozHost?.stop();
  rmSync(dir, { recursive: true, force: true });
  process.exit(130);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

try {
  const iso = testInstallerIso(root);
  const loads = [];
  const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  ozHost = new OzHost(join(dir, 'oz-host'));
  mkdirSync(ozHost.base, { recursive: true });
  let ozProblem;
  try {
    await ozHost.start();
    console.log(`libvirtd, virtlogd and the default network up in network namespace ${ozHost.ns}`);
    const warm = await warmLibguestfs(ozHost, iso);
    console.log(`libguestfs appliance ready (${warm.toFixed(1)} s, not counted)`);
  } catch (error) {
    ozProblem = `Oz cannot start here: ${error.message}`;
    console.error(`oz bench: ${ozProblem}`);
  }
  const runs = [];
  for (let round = 1; round <= ROUNDS && !stopping; round++) {
    for (const side of ['ozkit', 'Oz']) {
      if (side === 'Oz' && ozProblem) continue;
      loads.push(load());
      console.error(`round ${round}: ${side}… (load ${loads.at(-1)}, ${new Date().toISOString().slice(11, 19)} UTC)`);
      const r = side === 'ozkit' ? await ozkitBuild(iso, round, ozHost.ns) : await ozBuild(ozHost, iso, round);
      r.round = round;
      runs.push(r);
      const figures = Object.entries({ ...r.stages, ...r.phases }).map(([k, v]) => `${k} ${v.toFixed(1)}`);
      console.error(`round ${round}: ${side} ${r.ok ? 'installed' : 'FAILED'} in ${r.seconds.toFixed(1)} s (${figures.join(', ')})`);
      if (!r.ok) {
        console.error(r.failure);
        if (r.logTail) console.error(`--- oz-install log, last lines:\n${r.logTail}`);
        if (r.consoleTail) console.error(`--- guest console, last lines:\n${r.consoleTail}`);
        // A failed Oz is not tried again: the rounds left are ozkit's figures only.
        if (side === 'Oz') ozProblem = r.failure;
      }
    }
  }
  loads.push(load());

  const cell = (v, w = 8) => (v === undefined ? '—' : v.toFixed(1)).padStart(w);
  console.log('');
  console.log(`oz race: install only (no customization on either side), ${CPUS} vCPUs, ${MEMORY} MiB, 4 GiB qcow2, TCG`);
  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}; load average before each run and at the end: ${loads.join(' | ')}`);
  console.log('');
  console.log('| round | tool  |  total s | before VM s |     VM s | boot→answer | packages | boot loader | power-off | console |');
  console.log('|---:|---|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const r of runs) {
    const beforeVm = r.tool === 'ozkit' ? ['tdl-validate', 'ks-render', 'iso-fetch'].reduce((s, k) => s + (r.stages[k] ?? 0), 0) : r.stages.media;
    const vmSeconds = r.tool === 'ozkit' ? r.stages['guest-install'] : r.stages.vm;
    console.log(
      `| ${String(r.round).padStart(5)} | ${r.tool.padEnd(5)} | ${r.ok ? cell(r.seconds) : 'failed'.padStart(8)} | ${cell(beforeVm, 11)} | ${cell(vmSeconds)} | ${cell(r.phases['boot-to-answer'], 11)} | ${cell(r.phases.packages)} | ${cell(r.phases['boot-loader'], 11)} | ${cell(r.phases['power-off'], 9)} | ${[consoleFacts(r.console), r.consoleNote].filter(Boolean).join('; ')} |`,
    );
  }
  // Each side's QEMU command line (the first round's), to compare devices, caches and buses.
  for (const t of ['ozkit', 'Oz']) {
    const q = runs.find((r) => r.tool === t && r.qemu)?.qemu;
    if (q) console.log(`\n${t}'s QEMU: ${q}`);
  }
  const ok = (t) => runs.filter((r) => r.tool === t && r.ok).map((r) => r.seconds);
  const mk = median(ok('ozkit'));
  const mo = median(ok('Oz'));
  console.log('');
  console.log(
    `median ozkit: ${mk === undefined ? '—' : `${mk.toFixed(1)} s`} (${ok('ozkit').length} runs); median Oz: ${mo === undefined ? '—' : `${mo.toFixed(1)} s`} (${ok('Oz').length} runs)`,
  );
  if (mk !== undefined && mo !== undefined) console.log(`ratio ozkit / Oz: ${(mk / mo).toFixed(2)} (goal ≤ 0.80)`);
  if (ozProblem) {
    console.log(`Oz did not finish here: ${ozProblem}`);
    process.exitCode = 1;
  }
  if (runs.some((r) => r.tool === 'ozkit' && !r.ok)) process.exitCode = 1;
} finally {
  if (!stopping) {
    for (const c of children) c.kill('SIGKILL');
    ozHost?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
