import { spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { arch as hostArch, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '@ozkit/log';
import { findProgram, requireQemuSystem } from './programs.js';

export interface ProbeAccelOptions {
  /** Guest architecture (KVM only helps when it matches the host). Default x86_64. */
  arch?: string;
  /** Where to cache the probe's verdict for this boot of the host. */
  cacheDir?: string;
  /** How long the probe guest may take under KVM before KVM counts as broken. Default 4000 ms. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface AccelProbeResult {
  accel: 'kvm' | 'tcg';
  reason: string;
  cached: boolean;
}

/** Exit status QEMU reports when the probe's boot sector writes 0x2a to isa-debug-exit: (0x2a << 1) | 1. */
const PROBE_EXIT = 85;

/**
 * A 512-byte boot sector that writes 0x2a to the isa-debug-exit port (QEMU exits with
 * status 85) and halts. If KVM really runs guests, QEMU exits almost at once.
 */
export function probeBootSector(): Buffer {
  const sector = Buffer.alloc(512);
  Buffer.from([0xb0, 0x2a, 0xe6, 0xf4, 0xf4, 0xeb, 0xfd]).copy(sector); // mov al,0x2a; out 0xf4,al; hlt; jmp $-1
  sector[510] = 0x55;
  sector[511] = 0xaa;
  return sector;
}

const hostArchName = (): string => ({ x64: 'x86_64', arm64: 'aarch64', ppc64: 'ppc64le', s390x: 's390x', ia32: 'i386' })[hostArch() as string] ?? hostArch();

/**
 * Chooses the accelerator: `kvm`/`tcg` when forced; with `auto`, KVM only if /dev/kvm is
 * usable AND a tiny guest really runs under it within the deadline (on some hosts /dev/kvm
 * opens but guests hang). The verdict is cached per host boot.
 */
export async function probeAccel(requested: 'auto' | 'kvm' | 'tcg', logger?: Logger, options: ProbeAccelOptions = {}): Promise<AccelProbeResult> {
  if (requested !== 'auto') return { accel: requested, reason: 'forced', cached: false };
  const arch = options.arch ?? 'x86_64';
  const host = hostArchName();
  const compatible = arch === host || (host === 'x86_64' && arch === 'i386');
  if (!compatible) return { accel: 'tcg', reason: `guest ${arch} on a ${host} host`, cached: false };
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch (error) {
    return { accel: 'tcg', reason: `/dev/kvm not usable (${(error as NodeJS.ErrnoException).code})`, cached: false };
  }
  const binary = requireQemuSystem(arch);
  const cacheFile = options.cacheDir ? join(options.cacheDir, 'accel-probe.json') : undefined;
  const identity = probeIdentity(binary);
  if (cacheFile) {
    try {
      const cached = JSON.parse(readFileSync(cacheFile, 'utf8')) as { identity: string; accel: 'kvm' | 'tcg'; reason: string };
      if (cached.identity === identity) return { accel: cached.accel, reason: cached.reason, cached: true };
    } catch {
      // no verdict yet
    }
  }
  logger?.debug('probing KVM with a tiny guest');
  const result = await runProbe(binary, options.timeoutMs ?? 4000, options.cacheDir, options.signal);
  if (cacheFile && options.cacheDir) {
    try {
      mkdirSync(options.cacheDir, { recursive: true });
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify({ identity, ...result }) + '\n');
      renameSync(tmp, cacheFile);
    } catch {
      // a cache that cannot be written only costs a few seconds next time
    }
  }
  return { ...result, cached: false };
}

/** Host boot + QEMU binary: a new kernel, module or QEMU version may change the verdict. */
function probeIdentity(binary: string): string {
  let bootId = 'unknown';
  try {
    bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    // not Linux?
  }
  let stamp = '';
  try {
    const s = statSync(binary);
    stamp = `${s.size}:${s.mtimeMs}`;
  } catch {
    // keep empty
  }
  return `probe-v2|${bootId}|${binary}|${stamp}`;
}

async function runProbe(binary: string, timeoutMs: number, dir: string | undefined, signal?: AbortSignal): Promise<{ accel: 'kvm' | 'tcg'; reason: string }> {
  const workDir = dir ?? tmpdir();
  mkdirSync(workDir, { recursive: true });
  const image = join(workDir, `accel-probe-${process.pid}-${Date.now()}.img`);
  writeFileSync(image, probeBootSector());
  const args = [
    '-nodefaults',
    '-no-user-config',
    '-display',
    'none',
    '-no-reboot',
    // The same CPU model real runs use under KVM: some hosts run a boot sector but refuse `-cpu host` (MSR errors).
    '-machine',
    'pc,accel=kvm',
    '-cpu',
    'host',
    '-m',
    '16M',
    '-device',
    'isa-debug-exit,iobase=0xf4,iosize=0x04',
    '-drive',
    `file=${image},format=raw,if=ide`,
  ];
  const setpriv = findProgram('setpriv');
  const child = setpriv
    ? spawn(setpriv, ['--pdeathsig', 'KILL', '--', binary, ...args], { stdio: ['ignore', 'ignore', 'pipe'], detached: true })
    : spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)));
  const started = Date.now();
  try {
    const outcome = await new Promise<{ code: number | null; timedOut: boolean }>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve({ code: null, timedOut: true });
      }, timeoutMs);
      const onAbort = () => child.kill('SIGKILL');
      signal?.addEventListener('abort', onAbort, { once: true });
      child.once('exit', (code) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve({ code, timedOut: false });
      });
      child.once('error', () => {
        clearTimeout(timer);
        resolve({ code: null, timedOut: false });
      });
    });
    if (signal?.aborted) throw signal.reason;
    if (outcome.code === PROBE_EXIT) return { accel: 'kvm', reason: `KVM ran a probe guest in ${Date.now() - started} ms` };
    if (outcome.timedOut) return { accel: 'tcg', reason: `KVM did not run a tiny guest within ${timeoutMs} ms (it hangs on this host)` };
    return { accel: 'tcg', reason: `KVM probe failed: ${stderr.trim().split('\n').slice(-1)[0] || `exit status ${outcome.code}`}` };
  } finally {
    rmSync(image, { force: true });
  }
}
