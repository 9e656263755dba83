/**
 * The one boot path against real QEMU: the tiny guest (host kernel + busybox initrd) panics,
 * never starts sshd, or powers off — each ends the SSH wait the way the stages report it, with
 * the evidence, and no QEMU left running.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Writable } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Logger, silentLogger } from '@ozkit/log';
import { loadPrivateKey } from '@ozkit/ssh';
import { buildTinyGuest, tinyGuestAppend, type TinyGuestMode } from '../../qemu/src/tiny-guest.test-support.js';
import { GuestFailure, bootToSsh, createDisk, startGuest, type GuestDescription, type GuestEvent } from './index.js';

let dir: string;
let tiny: { kernel: string; initrd: string };
let privateKey: Buffer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ozkit-vm-lib-'));
  tiny = buildTinyGuest(dir);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'key')]);
  privateKey = await loadPrivateKey(join(dir, 'key'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function guest(name: string, mode: TinyGuestMode): Promise<GuestDescription> {
  const disk = join(dir, `${name}.qcow2`);
  await createDisk(disk, 'qcow2', 64 << 20);
  return {
    arch: 'x86_64',
    accel: 'tcg',
    cpus: 1,
    memoryMiB: 256,
    disks: [{ path: disk, format: 'qcow2', bus: 'virtio' }],
    kernel: { ...tiny, append: tinyGuestAppend(mode, 'MARK done') },
    runDir: join(dir, `${name}-run`),
    consoleLog: join(dir, `${name}-console.log`),
  };
}

function qemuRunningFor(path: string): boolean {
  try {
    return execFileSync('pgrep', ['-af', 'qemu-system'], { encoding: 'utf8' }).includes(path);
  } catch {
    return false;
  }
}

async function bootFailure(name: string, mode: TinyGuestMode, timeoutMs = 300_000): Promise<GuestFailure> {
  const description = await guest(name, mode);
  const error = await bootToSsh({
    guest: description,
    ssh: { privateKey, timeoutMs, timeoutFlag: '--boot-timeout' },
    screenshotPrefix: join(dir, `${name}-failure`),
    logger: silentLogger(),
  }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GuestFailure);
  expect(qemuRunningFor(description.consoleLog.replace(/-console\.log$/, ''))).toBe(false);
  return error as GuestFailure;
}

describe('bootToSsh', () => {
  test('a kernel panic ends the wait at once: GUEST_PANIC, the panic line, console tail and a PNG screenshot', async () => {
    const started = Date.now();
    const failure = await bootFailure('panic', 'panic');
    expect(Date.now() - started).toBeLessThan(240_000);
    expect(failure.code).toBe('GUEST_PANIC');
    expect(failure.exitCode).toBe(65);
    expect(failure.message).toMatch(/^the guest failed to boot: .*Kernel panic/);
    expect(failure.evidence.reason).toBe('panic');
    expect(failure.evidence.consoleTail.some((l) => l.includes('tiny-guest: crashing'))).toBe(true);
    expect(failure.evidence.screenshots).toHaveLength(1);
    expect(readFileSync(failure.evidence.screenshots[0]).subarray(1, 4).toString()).toBe('PNG');
    expect(failure.message).toContain(`screenshot: ${failure.evidence.screenshots[0]}`);
    expect(failure.details?.failure).toBeUndefined(); // evidence travels only as FailureWithEvidence.evidence
  });

  test('no sshd within the boot timeout: TIMEOUT (75) with the console tail naming its file', async () => {
    const failure = await bootFailure('sleep', 'sleep', 90_000);
    expect(failure.code).toBe('TIMEOUT');
    expect(failure.exitCode).toBe(75);
    expect(failure.message).toMatch(/^the guest's sshd did not answer within 90 s of boot/);
    expect(failure.message).toMatch(/console tail \(.*sleep-console\.log\):\n {2}\| /);
    expect(failure.hint).toMatch(/--boot-timeout/);
    expect(failure.evidence).toMatchObject({ reason: 'timeout', consoleLog: join(dir, 'sleep-console.log') });
    expect(failure.evidence.screenshots).toHaveLength(1);
  });

  test('a guest that powers off ends the wait: QEMU_CRASHED (70), no screenshot of a stopped guest', async () => {
    const failure = await bootFailure('off', 'nomarker');
    expect(failure.code).toBe('QEMU_CRASHED');
    expect(failure.message).toMatch(/^the guest stopped before SSH answered \(QEMU exit 0\)/);
    expect(failure.evidence).toMatchObject({ reason: 'crash', screenshots: [], screenshotProblem: 'QEMU had already exited' });
  });
});

describe('startGuest', () => {
  test('statistics of a running guest, and kill()', async () => {
    const description = await guest('idle', 'inactive');
    const watched = await startGuest({ guest: { ...description, network: { countBytes: true } }, logger: silentLogger() });
    const events: GuestEvent[] = [];
    watched.vm.onEvent((e) => events.push(e));
    await watched.vm.console.waitFor('tiny-guest: now idle', 240_000);
    const stats = await watched.vm.stats();
    expect(stats.diskWriteBytes).toBeGreaterThanOrEqual(2 << 20);
    expect(stats.diskWriteOps).toBeGreaterThan(0);
    expect(typeof stats.netBytes).toBe('number');
    await watched.kill();
    expect(watched.vm.killed).toBe(true);
    expect(watched.vm.exitStatus?.signal).toBe('SIGKILL');
    expect(events.some((e) => e.type === 'exit')).toBe(true);
    expect(qemuRunningFor(join(dir, 'idle'))).toBe(false);
  });

  test('a guest that powers off by itself: its shutdown event, exit 0, no trouble', async () => {
    const description = await guest('poweroff', 'nomarker');
    const watched = await startGuest({ guest: description, logger: silentLogger() });
    const exit = await watched.vm.waitForExit();
    expect(exit.code).toBe(0);
    expect(watched.vm.lastShutdown).toMatchObject({ type: 'shutdown', reason: 'guest-poweroff', detail: 'guest-shutdown' });
    expect(watched.trouble).toBeUndefined();
  });
});

const kvmUsable = (() => {
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
})();

// Without /dev/kvm nothing here can start a KVM guest: the fallback is then covered by the unit test of kvmStartFailure only.
describe.skipIf(!kvmUsable)('KVM chosen, the guest dies at start', () => {
  test("the QEMU backend starts it again under TCG with a warning naming QEMU's line, and it runs", async () => {
    const description = { ...(await guest('kvm', 'nomarker')), accel: 'kvm' as const };
    let log = '';
    const stream = new Writable({ write: (chunk: Buffer, _e, done) => ((log += chunk.toString()), done()) });
    const watched = await startGuest({ guest: description, logger: new Logger({ tool: 'kvm-fallback', stream }) });
    const exit = await watched.vm.waitForExit();
    expect(exit.code).toBe(0);
    expect(watched.vm.lastShutdown).toMatchObject({ reason: 'guest-poweroff' });
    // On a host whose KVM runs the guest there is nothing to fall back from (say so in the output).
    if (watched.vm.description.accel === 'kvm') console.log('KVM ran the guest on this host: no fallback to test');
    else expect(log).toMatch(/KVM could not start the guest \(.*(MSR|kvm).*\): falling back to TCG/);
    expect(qemuRunningFor(join(dir, 'kvm'))).toBe(false);
  });
});
