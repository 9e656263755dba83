import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OzkitError } from '@ozkit/errors';
import type { FailureWithEvidence } from '@ozkit/build-document';
import { guestInstall } from './guest-install.js';
import { buildTinyGuest, memoryLogger, testSettings, tinyInstallDocument, type TinyGuestMode } from './tiny-install.test-support.js';

let root: string;
let guest: { kernel: string; initrd: string };
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'guest-install-vm-'));
  guest = buildTinyGuest(root);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
async function install(mode: TinyGuestMode, settings: Partial<ReturnType<typeof testSettings>> = {}, extra: Record<string, unknown> = {}) {
  const workdir = join(root, `w${n++}-${mode}`);
  const doc = tinyInstallDocument(workdir, guest, mode);
  const { logger, text } = memoryLogger();
  const controller = new AbortController();
  const run = guestInstall(doc, {
    settings: { ...testSettings(join(root, 'cache')), ...settings },
    toolVersion: '0.0.0-test',
    logger,
    signal: controller.signal,
    sampleMs: 500,
    ...extra,
  });
  return { workdir, doc, run, log: text, controller };
}

/** No temporary disk, no run directory left in the workdir. */
function expectNoLeftovers(workdir: string) {
  const left = readdirSync(workdir).filter((f) => f.includes('.partial-') || f.startsWith('.guest-install-run-'));
  expect(left).toEqual([]);
}

describe('guest-install with the tiny guest (TCG)', () => {
  // ~20 s each under TCG on the shared 2-core host
  test('power-off after the marker: disk in the document, console log, nothing left over', async () => {
    const { workdir, doc, run } = await install('success');
    const out = await run;
    const disk = out.disk!;
    expect(disk).toMatchObject({
      path: join(workdir, 'tiny.qcow2'),
      format: 'qcow2',
      virtualSize: 64 << 20,
      bus: 'virtio',
      accel: 'tcg',
      markerSeen: true,
      ending: 'poweroff',
    });
    expect(disk.buildKey).toEqual(doc.answer!.buildKey);
    expect(statSync(disk.path).size).toBeGreaterThan(0);
    expect(readFileSync(disk.consoleLog, 'utf8')).toContain(doc.answer!.marker);
    expect(disk.installSeconds).toBeGreaterThan(1);
    expect(out.template).toEqual(doc.template); // other keys pass through
    expectNoLeftovers(workdir);
  }, 240_000);

  test("a qcow2 boot ISO (iso-fetch's overlay on the original) is attached as qcow2: the installer reads the medium through it", async () => {
    const workdir = join(root, `w${n++}-cdrom`);
    const doc = tinyInstallDocument(workdir, guest, 'cdrom');
    // The original: an ISO as far as the check goes (CD001 in block 16); the overlay changes block 17 and adds block 512.
    const original = join(workdir, 'media', 'original.iso');
    const image = Buffer.alloc(1024 * 1024);
    image.write('\x01CD001\x01ORIGINAL', 16 * 2048, 'latin1');
    writeFileSync(original, image);
    const overlay = join(workdir, 'media', 'boot.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', original, '-F', 'raw', overlay, String(2 * 1024 * 1024)]);
    execFileSync('qemu-io', ['-c', `write -q -P 0x58 ${17 * 2048} 2048`, '-c', `write -q -P 0x4f ${512 * 2048} 2048`, overlay]);
    const boot = doc.media!.boot;
    if (boot.method !== 'kernel') throw new Error('the tiny install document boots a kernel');
    doc.media!.boot = { ...boot, append: `${boot.append} ozkit.cdblocks=16,17,512`, iso: overlay, isoFormat: 'qcow2', isoBacking: original };
    const { logger } = memoryLogger();
    const out = await guestInstall(doc, {
      settings: testSettings(join(root, 'cache')),
      toolVersion: '0.0.0-test',
      logger,
      signal: new AbortController().signal,
      sampleMs: 500,
    });
    const console = readFileSync(out.disk!.consoleLog, 'latin1');
    expect(console).toContain(`cd block 16: .CD001.ORIGINAL${'.'.repeat(17)}`);
    expect(console).toContain(`cd block 17: ${'X'.repeat(32)}`);
    expect(console).toContain(`cd block 512: ${'O'.repeat(32)}`);
    expect(out.disk).toMatchObject({ markerSeen: true, ending: 'poweroff' });
    expectNoLeftovers(workdir);
  }, 240_000);

  test('a reboot request ends the installer run', async () => {
    const out = await (await install('reboot')).run;
    expect(out.disk).toMatchObject({ markerSeen: true, ending: 'reboot' });
  }, 240_000);

  test('power-off without the marker: success with a warning', async () => {
    const { run, log } = await install('nomarker');
    const out = await run;
    expect(out.disk!.markerSeen).toBe(false);
    expect(log()).toMatch(/warning: the guest powered off but never wrote the completion marker/);
  }, 240_000);

  test('power-off without the marker and --require-marker: exit 65, disk deleted', async () => {
    const { workdir, run } = await install('nomarker', {}, { requireMarker: true });
    const error: OzkitError = await run.catch((e) => e);
    expect(error.code).toBe('INSTALL_FAILED');
    expect(error.exitCode).toBe(65);
    expect(existsSync(join(workdir, 'tiny.qcow2'))).toBe(false);
    expectNoLeftovers(workdir);
  }, 240_000);

  test('inactivity: exit 75 with a PNG screenshot, the console tail and watchdog samples; disk kept with --keep-failed', async () => {
    const { workdir, run } = await install('inactive', { timeoutInactivity: 45 }, { keepFailed: true });
    const error: OzkitError = await run.catch((e) => e);
    expect(error.code).toBe('INACTIVITY');
    expect(error.exitCode).toBe(75);
    const failure = (error as FailureWithEvidence).evidence as { screenshots: string[]; consoleTail: string[]; watchdog: { t: number }[]; disk: string };
    expect(failure.screenshots).toHaveLength(1);
    expect(readFileSync(failure.screenshots[0]).subarray(1, 4).toString()).toBe('PNG');
    expect(failure.consoleTail).toContain('tiny-guest: now idle');
    expect(failure.consoleTail.length).toBeLessThanOrEqual(40);
    expect(failure.watchdog.length).toBeGreaterThan(3);
    expect(error.message).toMatch(/no disk activity .* for \d+ s \(inactivity limit 45 s\)/);
    expect(error.message).toContain('| tiny-guest: now idle');
    expect(error.message).toContain(`screenshot: ${failure.screenshots[0]}`);
    expect(failure.disk).toBe(join(workdir, 'tiny.failed.qcow2'));
    expect(existsSync(failure.disk)).toBe(true);
    expectNoLeftovers(workdir);
  }, 240_000);

  test('guest panic on the console: exit 65 GUEST_PANIC, partial disk deleted', async () => {
    const { workdir, run } = await install('panic');
    const error: OzkitError = await run.catch((e) => e);
    expect(error.code).toBe('GUEST_PANIC');
    expect(error.exitCode).toBe(65);
    expect(error.message).toMatch(/the guest panicked: .*Kernel panic - not syncing/);
    expect(((error as FailureWithEvidence).evidence as { screenshots: string[] }).screenshots).toHaveLength(1);
    expect(existsSync(join(workdir, 'tiny.qcow2'))).toBe(false);
    expectNoLeftovers(workdir);
  }, 240_000);

  test('the answer file reports a failure: exit 65 at once, not after a timeout', async () => {
    const { workdir, run } = await install('failed', { timeoutInactivity: 200 });
    const started = Date.now();
    const error: OzkitError = await run.catch((e) => e);
    expect(error.code).toBe('INSTALL_FAILED');
    expect(error.exitCode).toBe(65);
    expect(error.message).toMatch(/the answer file reported a failure: OZKIT-INSTALL-FAILED \w+: late command failed/);
    expect(((error as FailureWithEvidence).evidence as { screenshots: string[] }).screenshots).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(120_000);
    expectNoLeftovers(workdir);
  }, 240_000);

  test('total timeout while the guest stays busy: exit 75 TIMEOUT', async () => {
    const { run } = await install('forever', { timeoutInstall: 45, timeoutInactivity: 300 });
    const error: OzkitError = await run.catch((e) => e);
    expect(error.code).toBe('TIMEOUT');
    expect(error.exitCode).toBe(75);
    expect(error.message).toMatch(/did not finish within 45 s/);
    expect(((error as FailureWithEvidence).evidence as { consoleTail: string[] }).consoleTail.some((l) => l.startsWith('tiny-guest: busy'))).toBe(true);
  }, 240_000);

  test('QEMU killed from outside: exit 70 QEMU_CRASHED', async () => {
    const { workdir, run } = await install('sleep');
    const started = Date.now();
    let pidFile: string | undefined;
    while (!pidFile && Date.now() - started < 60_000) {
      await new Promise((r) => setTimeout(r, 200));
      const runDir = readdirSync(workdir).find((f) => f.startsWith('.guest-install-run-'));
      if (runDir && existsSync(join(workdir, runDir, 'qemu.pid'))) pidFile = join(workdir, runDir, 'qemu.pid');
    }
    await new Promise((r) => setTimeout(r, 1500));
    process.kill(Number(readFileSync(pidFile!, 'utf8').trim()), 'SIGKILL');
    const error: OzkitError = await run.catch((e) => e);
    expect(error.code).toBe('QEMU_CRASHED');
    expect(error.exitCode).toBe(70);
    expect(error.message).toMatch(/QEMU was killed by SIGKILL/);
    expectNoLeftovers(workdir);
  }, 240_000);
});
