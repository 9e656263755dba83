/**
 * Cloud formats boot: the shared installed Debian 12 image (JEOS cache, no new install) is
 * customized by guest-customize with --output-format vmdk (no packages: one boot, the real
 * inventory and properties), and converted to vhdx by the same output step as a library call;
 * then each converted image boots under QEMU to an SSH login. QEMU reads the converted file
 * through its own vmdk/vhdx driver, under a throw-away qcow2 overlay (a streamOptimized vmdk is
 * not a disk QEMU writes to in place).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuildDocument } from '@ozkit/build-document';
import { Logger } from '@ozkit/log';
import { loadPrivateKey } from '@ozkit/ssh';
import { bootToSsh } from '@ozkit/vm';
import { writeOutputImage } from '../../tools/guest-customize/src/image-output.js';
import { conversionFor } from '../../tools/guest-customize/src/output-format.js';
import { installedDebianImage, installedDiskIn, runStageCli, type InstalledImage } from '../support/installed-image.js';

const work = mkdtempSync(join(tmpdir(), 'ozkit-cloud-formats-vm-'));
let image: InstalledImage;

beforeAll(async () => {
  image = await installedDebianImage();
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function qemuRunningFor(path: string): boolean {
  return execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
    .split('\n')
    .some((l) => l.includes('qemu-system') && l.includes(path));
}

function imageInfo(path: string, format: string): { format: string; 'virtual-size': number; 'format-specific'?: { data?: Record<string, unknown> } } {
  return JSON.parse(execFileSync('qemu-img', ['info', '--output=json', '-f', format, path], { encoding: 'utf8' }));
}

/** Boots `path` (read through QEMU's `format` driver) to an SSH login and reads the guest's os-release. */
async function bootConverted(path: string, format: string, name: string): Promise<string> {
  const overlay = join(work, `${name}-overlay.qcow2`);
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', path, '-F', format, overlay]);
  const runDir = mkdtempSync(join(work, `${name}-run-`));
  const logger = new Logger({ tool: `boot-${name}`, stream: process.stderr });
  const { guest, session, bootSeconds } = await bootToSsh({
    guest: {
      arch: 'x86_64',
      accel: image.document.disk!.accel,
      cpus: 2,
      memoryMiB: 1024,
      disks: [{ path: overlay, format: 'qcow2', bus: 'virtio' }],
      boot: 'disk',
      network: { ssh: {} },
      runDir,
      consoleLog: join(work, `${name}-console.log`),
    },
    ssh: { privateKey: await loadPrivateKey(image.privateKey), timeoutMs: 600_000 },
    screenshotPrefix: join(work, `${name}-failure`),
    logger,
  });
  try {
    logger.info(`${name}: ssh up after ${bootSeconds.toFixed(0)} s`);
    const result = await session.exec('cat /etc/os-release; findmnt -n -o SOURCE /', { timeoutMs: 60_000, captureStdout: true });
    return result.stdout;
  } finally {
    await session.close();
    await guest.kill();
    expect(qemuRunningFor(overlay)).toBe(false);
  }
}

describe('converted images boot under QEMU', () => {
  let customized: Record<string, any>;
  let stderr: string;

  it('guest-customize --output-format vmdk writes a checked streamOptimized vmdk with its OpenStack properties', async () => {
    const installed = image.document;
    const workdir = join(work, 'build');
    const disk = await installedDiskIn(image, workdir);
    const doc: BuildDocument = {
      ...installed,
      workdir,
      disk: { ...installed.disk!, path: disk.path, format: 'qcow2', buildKey: { privateKey: disk.privateKey, publicKey: disk.publicKey } },
    };
    const env = { ...process.env, OZKIT_CACHE_DIR: join(work, 'cache'), OZKIT_CPUS: '2', OZKIT_MEMORY: '1024' };
    const run = await runStageCli('guest-customize', ['--output-format', 'vmdk', '--no-seal'], JSON.stringify(doc), env);
    stderr = run.stderr;
    expect(run.code, run.stderr.split('\n').slice(-30).join('\n')).toBe(0);
    customized = JSON.parse(run.stdout).customize;
    const out = customized.image;
    expect(out).toMatchObject({ format: 'vmdk', subformat: 'streamOptimized', compressed: true, virtualSize: installed.disk!.virtualSize });
    expect(out.path).toBe(join(doc.workdir!, 'ozkit-test-debian-12-customized.vmdk'));
    const info = imageInfo(out.path, 'vmdk');
    expect(info.format).toBe('vmdk');
    expect(info['format-specific']?.data?.['create-type']).toBe('streamOptimized');
    execFileSync('qemu-img', ['check', '-q', '-f', 'vmdk', out.path]);

    const agent = customized.inventory.packages.some((p: { name: string; status?: string }) => p.name === 'qemu-guest-agent' && p.status === 'ii');
    expect(out.properties).toEqual({
      os_distro: 'debian',
      os_version: '12',
      architecture: 'x86_64',
      hw_disk_bus: 'virtio',
      hw_vif_model: 'virtio',
      hw_firmware_type: installed.disk!.firmware ?? 'bios',
      ...(agent ? { hw_qemu_guest_agent: 'yes', os_require_quiesce: 'yes' } : {}),
      hw_machine_type: 'pc',
    });
    const line = stderr.split('\n').find((l) => l.includes('openstack image create'));
    expect(line).toBeDefined();
    expect(line).toContain(
      `openstack image create --disk-format vmdk --container-format bare --file ${out.path} --property os_distro=debian --property os_version=12`,
    );
    expect(line).toMatch(/ ozkit-test-debian-12$/);
  });

  it('the vmdk boots to an SSH login', async () => {
    expect(customized, 'the vmdk was not written').toBeDefined();
    const osRelease = await bootConverted(customized.image.path, 'vmdk', 'vmdk');
    expect(osRelease).toMatch(/^ID=debian$/m);
    expect(osRelease).toMatch(/^VERSION_ID="12"$/m);
    expect(osRelease).toMatch(/^\/dev\/vda\d/m);
  });

  it('a vhdx written by the same output step boots to an SSH login', async () => {
    const vhdx = join(work, 'converted.vhdx');
    const conversion = conversionFor('vhdx', false, image.virtualSize);
    await writeOutputImage(
      { path: image.disk, format: 'qcow2', virtualSize: image.virtualSize },
      vhdx,
      conversion,
      new Logger({ tool: 'convert', stream: process.stderr }),
    );
    const info = imageInfo(vhdx, 'vhdx');
    expect(info).toMatchObject({ format: 'vhdx', 'virtual-size': image.virtualSize });
    const osRelease = await bootConverted(vhdx, 'vhdx', 'vhdx');
    expect(osRelease).toMatch(/^ID=debian$/m);
  });
});
