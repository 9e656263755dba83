import { copyFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { OzkitError } from '@ozkit/errors';
import type { Logger } from '@ozkit/log';
import { OVMF_CODE, OVMF_VARS, diskInfo, requireQemuImg } from '@ozkit/qemu';
import type { GuestDescription } from '../vm-backend.js';
import type { DomainFiles } from './domain-xml.js';
import type { DomainReaper } from './domain-reaper.js';
import type { Virsh } from './virsh.js';

/**
 * The files of a guest on a remote hypervisor, as volumes of one storage pool: uploaded before
 * the guest starts (`vol-create-as` + `vol-upload`), written disks downloaded after it ends
 * (`vol-download`), every volume deleted afterwards — by the reaper if this process dies.
 */
export class HypervisorVolumes {
  private readonly created: string[] = [];

  private constructor(
    private readonly virsh: Virsh,
    readonly pool: string,
    readonly poolPath: string,
    private readonly reaper: DomainReaper,
    private readonly logger: Logger | undefined,
  ) {}

  static async open(virsh: Virsh, pool: string, reaper: DomainReaper, logger?: Logger): Promise<HypervisorVolumes> {
    const info = await virsh.tryRun(['pool-dumpxml', pool]);
    if (info.exitCode !== 0) {
      throw new OzkitError('SERVICE_UNAVAILABLE', `the hypervisor ${virsh.uri} has no storage pool "${pool}"`, {
        hint: 'name an existing directory pool with --pool (virsh pool-list --all), or create one: virsh pool-define-as NAME dir --target DIR',
      });
    }
    const path = /<path>([^<]+)<\/path>/.exec(info.stdout)?.[1];
    if (!path) throw new OzkitError('SERVICE_UNAVAILABLE', `storage pool "${pool}" on ${virsh.uri} has no target path (ozkit needs a directory pool)`);
    if (!/<pool type=['"]dir['"]/.test(info.stdout)) logger?.warn(`storage pool "${pool}" is not a directory pool; uploads may not work`);
    return new HypervisorVolumes(virsh, pool, path, reaper, logger);
  }

  /** Uploads what the guest needs; returns the hypervisor-side paths. `downloads` gets the disks to bring back. */
  async upload(description: GuestDescription, name: string, downloads: { volume: string; path: string }[], signal?: AbortSignal): Promise<DomainFiles> {
    const disks: DomainFiles['disks'] = [];
    for (const [i, disk] of description.disks.entries()) {
      const volume = `${name}-disk${i}.${disk.format}`;
      disks.push({ path: await this.uploadDisk(volume, disk.path, disk.format, description.runDir, signal), format: disk.format });
      if (!disk.snapshot && !disk.readonly) downloads.push({ volume, path: disk.path });
    }
    const files: DomainFiles = { disks, consoleLog: this.track(`${name}-console.log`) };
    // A qcow2 CD-ROM (an overlay on the original ISO) goes up flattened, as a plain ISO: the hypervisor has no backing file.
    if (description.cdrom !== undefined)
      files.cdrom = await this.uploadDisk(`${name}-cdrom.iso`, description.cdrom, 'raw', description.runDir, signal, description.cdromFormat ?? 'raw');
    if (description.kernel) {
      files.kernel = {
        kernel: await this.uploadFile(`${name}-kernel`, description.kernel.kernel, signal),
        initrd: await this.uploadFile(`${name}-initrd`, description.kernel.initrd, signal),
      };
    }
    if (description.firmware === 'uefi') {
      const vars = join(description.runDir, `${name}-VARS.fd`);
      copyFileSync(OVMF_VARS, vars);
      files.uefi = { code: await this.uploadFile(`${name}-CODE.fd`, OVMF_CODE, signal), vars: await this.uploadFile(`${name}-VARS.fd`, vars, signal) };
      rmSync(vars, { force: true });
    }
    // No byte counting remotely: QEMU runs there as libvirt's user and cannot create a file in the
    // pool folder; an installer's activity is then judged by its disk writes alone.
    if (description.network && description.network.countBytes) this.logger?.debug('libvirt: network bytes are not counted on a remote hypervisor');
    return files;
  }

  /**
   * A disk with a backing chain is flattened first (the hypervisor has none of the backing files);
   * `from` other than `format` converts it as well (a file of known format is never probed).
   */
  private async uploadDisk(volume: string, path: string, format: 'qcow2' | 'raw', runDir: string, signal?: AbortSignal, from?: 'qcow2' | 'raw'): Promise<string> {
    if (from === 'raw' && format === 'raw') return this.uploadFile(volume, path, signal);
    if (from === undefined) {
      const info = await diskInfo(path, signal);
      if (!info.backingFile) return this.uploadFile(volume, path, signal);
    }
    const flat = join(runDir, `${volume}.flat`);
    const result = await execa(requireQemuImg(), ['convert', ...(from ? ['-f', from] : []), '-O', format, path, flat], {
      reject: false,
      stdin: 'ignore',
      ...(signal ? { cancelSignal: signal } : {}),
    });
    if (result.exitCode !== 0) throw new OzkitError('IO', `qemu-img convert ${path} for upload failed: ${String(result.stderr).trim()}`);
    try {
      return await this.uploadFile(volume, flat, signal);
    } finally {
      rmSync(flat, { force: true });
    }
  }

  async uploadFile(volume: string, path: string, signal?: AbortSignal): Promise<string> {
    const bytes = statSync(path).size;
    this.logger?.debug(`libvirt: uploading ${path} (${bytes} bytes) to ${this.pool}/${volume}`);
    this.reaper.watchVolume(volume);
    this.created.push(volume);
    const opts = { ...(signal ? { signal } : {}), timeoutMs: 3_600_000, code: 'IO' as const };
    // Raw volume of the file's own size: the upload replaces its bytes with the file's, format and all.
    await this.virsh.run(['vol-create-as', this.pool, volume, String(Math.max(bytes, 512)), '--format', 'raw'], opts);
    await this.virsh.run(['vol-upload', '--sparse', '--pool', this.pool, volume, path], opts);
    return this.volumePath(volume);
  }

  async download(volume: string, path: string): Promise<void> {
    const temp = `${path}.download`;
    this.logger?.debug(`libvirt: downloading ${this.pool}/${volume} to ${path}`);
    try {
      await this.virsh.run(['vol-download', '--sparse', '--pool', this.pool, volume, temp], { timeoutMs: 3_600_000, code: 'IO' });
      renameSync(temp, path);
    } finally {
      rmSync(temp, { force: true });
    }
  }

  /** A file the hypervisor writes into the pool folder (console, packet dump), deleted with the volumes. */
  private track(volume: string): string {
    this.reaper.watchVolume(volume);
    this.created.push(volume);
    return `${this.poolPath}/${volume}`;
  }

  private volumePath(volume: string): string {
    return `${this.poolPath}/${volume}`;
  }

  async deleteAll(): Promise<void> {
    if (this.created.length === 0) return;
    await this.virsh.tryRun(['pool-refresh', this.pool]);
    for (const volume of this.created.splice(0)) await this.virsh.tryRun(['vol-delete', '--pool', this.pool, volume]);
  }
}
