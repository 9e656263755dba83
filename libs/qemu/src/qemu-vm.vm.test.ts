import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OzkitError } from '@ozkit/errors';
import { QemuVm, createDisk, diskInfo, type VmOptions } from './index.js';
import { buildTinyGuest, tinyGuestAppend, type TinyGuestMode } from './tiny-guest.test-support.js';

let dir: string;
let guest: { kernel: string; initrd: string };
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'qemu-vm-test-'));
  guest = buildTinyGuest(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function options(name: string, mode: TinyGuestMode): Promise<VmOptions> {
  const disk = join(dir, `${name}.qcow2`);
  await createDisk(disk, 'qcow2', 64 << 20);
  return {
    arch: 'x86_64',
    accel: 'tcg',
    cpus: 1,
    memoryMiB: 256,
    disks: [{ path: disk, format: 'qcow2', bus: 'virtio' }],
    kernel: { ...guest, append: tinyGuestAppend(mode, 'MARK done') },
    runDir: join(dir, `${name}-run`),
    consoleLog: join(dir, `${name}-console.log`),
    noReboot: true,
  };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('QemuVm with the tiny guest (TCG)', () => {
  // measured ~16 s under TCG on a loaded 2-core host
  test('runs to power-off: console lines, disk statistics, screendump PNG, clean exit', async () => {
    const vm = await QemuVm.start(await options('ok', 'success'));
    expect(readFileSync(vm.paths.pidFile, 'utf8').trim()).toMatch(/^\d+$/);
    const marker = vm.console.waitFor('MARK done', 90_000);
    await vm.console.waitFor('tiny-guest: mode success', 90_000);
    const png = await vm.screendumpPng(join(dir, 'ok.png'));
    expect(readFileSync(png).subarray(1, 4).toString()).toBe('PNG');
    expect(existsSync(join(dir, 'ok.ppm'))).toBe(false);
    await marker;
    const exit = await vm.waitForExit();
    expect(exit).toEqual({ code: 0, signal: null });
    expect(vm.killed).toBe(false);
    expect(existsSync(vm.paths.qmpSocket)).toBe(false);
    expect(readFileSync(join(dir, 'ok-console.log'), 'utf8')).toContain('tiny-guest: wrote 4 MiB');
    expect((await diskInfo(join(dir, 'ok.qcow2'))).actualSize).toBeGreaterThan(4 << 20);
  }, 180_000);

  test("activity() counts the guest's disk writes; kill() ends QEMU and nothing is left", async () => {
    const vm = await QemuVm.start(await options('busy', 'forever'));
    await vm.console.waitFor('tiny-guest: busy', 90_000);
    await vm.console.waitFor('tiny-guest: busy', 10_000, { includePast: false });
    const activity = await vm.activity();
    expect(activity.diskWriteBytes).toBeGreaterThanOrEqual(256 * 1024);
    expect(activity.diskWriteOps).toBeGreaterThan(0);
    expect(activity.netBytes).toBeTypeOf('number');
    await vm.kill();
    expect(vm.killed).toBe(true);
    expect(vm.exitStatus?.signal).toBe('SIGKILL');
    expect(alive(vm.pid)).toBe(false);
    await expect(vm.qmp.execute('query-status')).rejects.toBeInstanceOf(OzkitError);
  }, 180_000);

  test('powerdown() of a guest that ignores ACPI kills it after the timeout and says so', async () => {
    const vm = await QemuVm.start(await options('deaf', 'sleep'));
    await vm.console.waitFor('tiny-guest: sleeping', 90_000);
    expect(await vm.powerdown(1500)).toBe(false);
    expect(alive(vm.pid)).toBe(false);
  }, 180_000);

  test('QEMU that cannot start is a QEMU_CRASHED error carrying its own message', async () => {
    const opts = await options('bad', 'success');
    opts.disks[0].path = join(dir, 'missing.qcow2');
    const error = await QemuVm.start(opts).catch((e) => e);
    expect(error).toBeInstanceOf(OzkitError);
    expect(error.code).toBe('QEMU_CRASHED');
    expect(error.message).toMatch(/missing\.qcow2/);
  }, 60_000);

  test('an aborted signal ends a starting VM', async () => {
    const controller = new AbortController();
    controller.abort(new OzkitError('INTERRUPTED', 'interrupted (SIGINT)'));
    const error = await QemuVm.start({ ...(await options('abort', 'success')), signal: controller.signal }).catch((e) => e);
    expect(error.code).toBe('INTERRUPTED');
  });
});
