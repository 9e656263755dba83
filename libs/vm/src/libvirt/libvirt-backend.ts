import { copyFileSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import { randomInt } from 'node:crypto';
import { OzkitError } from '@ozkit/errors';
import type { Logger } from '@ozkit/log';
import { OVMF_CODE, OVMF_VARS, SerialConsole, NetTrafficCounter, findFreePort, probeAccel, createDisk, diskInfo, requireQemuImg } from '@ozkit/qemu';
import { screendumpToPng } from '@ozkit/netpbm';
import type { AccelChoice, GuestDescription, GuestEvent, GuestExit, GuestStats, RunningGuest, ShutdownReason, VmBackend } from '../vm-backend.js';
import { domainXml, type DomainFiles } from './domain-xml.js';
import { DomainReaper, domainName, hostTag, ownerOfName, processAlive } from './domain-reaper.js';
import { HypervisorSsh } from './hypervisor-ssh.js';
import { parseLibvirtUri, type LibvirtUri } from './libvirt-uri.js';
import { HypervisorVolumes } from './hypervisor-volumes.js';
import { Virsh, libvirtMessage } from './virsh.js';
import { DomainEvents, MonitorEvents, type LifecycleEvent } from './domain-events.js';
import { shutdownReason } from '../qemu-backend.js';

export interface LibvirtConnection {
  /** `qemu:///system`, `qemu+ssh://user@host/system`, … */
  uri: string;
  /** `[libvirt] type`: kvm or qemu; unset → kvm where it really works, else qemu. */
  virtType?: 'kvm' | 'qemu';
  /** Storage pool for uploaded disks and media on a remote hypervisor. Default `default`. */
  pool?: string;
  /** `[libvirt] bridge_name`: the guest's NIC on this bridge instead of user-mode networking. */
  bridge?: string;
  /** The build these guests belong to (domain names: `ozkit-<build>-<stage>-…`). */
  build?: string;
  stage?: string;
}

let guestSerial = 0;
const swept = new Set<string>();

/**
 * Guests as transient libvirt domains, through `virsh` (there is no well-kept Node binding):
 * `virsh create` of generated XML, never a persistent define; events from `virsh event`;
 * statistics from `domstats`; `screenshot`, `shutdown --mode acpi`, `destroy`. On a remote URI
 * disks and media go into a storage pool first and written disks come back afterwards.
 */
export function libvirtBackend(connection: LibvirtConnection): VmBackend {
  const uri = parseLibvirtUri(connection.uri);
  const virsh = new Virsh(uri.uri);
  return {
    name: 'libvirt',
    checkHost(): void {
      // virsh itself is checked on first use; a reachable hypervisor is what matters, and that is async.
    },
    async chooseAccel(requested, options, logger): Promise<AccelChoice> {
      await sweepLeftovers(virsh, uri, connection.pool ?? 'default', logger);
      if (connection.virtType) return { accel: connection.virtType === 'kvm' ? 'kvm' : 'tcg', reason: '[libvirt] type', cached: false };
      if (requested !== 'auto') return { accel: requested, reason: 'forced', cached: false };
      // Locally the same probe as QEMU direct (a host whose /dev/kvm opens may still abort real guests).
      if (!uri.remote) return probeAccel('auto', logger, options);
      const caps = await virsh.tryRun(['domcapabilities', '--virttype', 'kvm', '--arch', options.arch]);
      return caps.exitCode === 0
        ? { accel: 'kvm', reason: `${uri.host} offers kvm`, cached: false }
        : { accel: 'tcg', reason: `${uri.host} has no kvm`, cached: false };
    },
    async start(description: GuestDescription, logger?: Logger): Promise<RunningGuest> {
      await sweepLeftovers(virsh, uri, connection.pool ?? 'default', logger);
      return LibvirtGuest.start(description, { uri, virsh, connection }, logger);
    },
  };
}

/** Domains and volumes of tools that died on this machine (found by name prefix) are removed. */
async function sweepLeftovers(virsh: Virsh, uri: LibvirtUri, pool: string, logger?: Logger): Promise<void> {
  if (swept.has(uri.uri)) return;
  swept.add(uri.uri);
  const ours = (name: string) => {
    const owner = ownerOfName(name);
    return owner !== undefined && owner.host === hostTag() && owner.pid !== process.pid && !processAlive(owner.pid);
  };
  const domains = (await virsh.run(['list', '--all', '--name']))
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  for (const name of domains.filter(ours)) {
    logger?.warn(`removing libvirt domain ${name}, left behind by an ozkit run that died`);
    await virsh.tryRun(['destroy', name]);
    await virsh.tryRun(['undefine', '--nvram', name]);
  }
  if (!uri.remote) return;
  const volumes = await virsh.tryRun(['vol-list', '--pool', pool]);
  if (volumes.exitCode !== 0) return;
  const names = volumes.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0])
    .filter((n) => n && n.startsWith('ozkit-'));
  for (const name of names.filter(ours)) {
    logger?.warn(`removing volume ${name} from pool ${pool}, left behind by an ozkit run that died`);
    await virsh.tryRun(['vol-delete', '--pool', pool, name]);
  }
}

interface Context {
  uri: LibvirtUri;
  virsh: Virsh;
  connection: LibvirtConnection;
}

const LIFECYCLE_REASON: Record<string, ShutdownReason> = {
  'Shutdown Finished after guest request': 'guest-poweroff',
  'Shutdown Finished after host request': 'host-request',
};

class LibvirtGuest implements RunningGuest {
  readonly hypervisor = 'libvirt';
  readonly label: string;
  readonly console: SerialConsole;
  readonly exited: Promise<GuestExit>;
  exitStatus: GuestExit | undefined;
  killed = false;
  lastShutdown: Extract<GuestEvent, { type: 'shutdown' }> | undefined;
  private readonly listeners = new Set<(event: GuestEvent) => void>();
  private resolveExit!: (exit: GuestExit) => void;
  private released = false;
  private stopFollow: (() => void)[] = [];
  private netCounter: NetTrafficCounter | undefined;
  private poller: NodeJS.Timeout | undefined;
  private monitor: MonitorEvents | undefined;
  private lifecycleShutdown: { reason: ShutdownReason; detail: string } | undefined;

  private constructor(
    readonly description: GuestDescription,
    private readonly ctx: Context,
    private readonly name: string,
    readonly ssh: { host: string; port: number } | undefined,
    private readonly events: DomainEvents,
    private readonly reaper: DomainReaper,
    private readonly volumes: HypervisorVolumes | undefined,
    private readonly hypervisorSsh: HypervisorSsh | undefined,
    private readonly localTemp: string[],
    private readonly downloads: { volume: string; path: string }[],
    netDump: string | undefined,
  ) {
    this.label = `libvirt domain ${name} on ${ctx.uri.uri}`;
    this.console = new SerialConsole(description.consoleLog);
    this.console.start();
    if (netDump) this.netCounter = new NetTrafficCounter(netDump);
    this.exited = new Promise((resolve) => (this.resolveExit = resolve));
    events.on(name, (event) => this.onLifecycle(event));
    this.monitor = MonitorEvents.watch(ctx.virsh, name, (event, data) => this.onMonitor(event, data));
    // Events can be lost (a daemon restart); the domain's disappearance is checked too.
    this.poller = setInterval(() => void this.checkGone(), 2000);
    this.poller.unref();
    description.signal?.addEventListener('abort', () => void this.kill(), { once: true });
  }

  static async start(description: GuestDescription, ctx: Context, logger?: Logger): Promise<LibvirtGuest> {
    const { uri, virsh, connection } = ctx;
    requireQemuImg();
    const name = domainName(connection.build ?? basename(description.runDir), connection.stage ?? 'guest', ++guestSerial);
    mkdirSync(description.runDir, { recursive: true });
    const pool = connection.pool ?? 'default';
    const reaper = new DomainReaper(uri.uri, name, uri.remote ? pool : undefined);
    const localTemp: string[] = [];
    const downloads: { volume: string; path: string }[] = [];
    let events: DomainEvents | undefined;
    let hypervisorSsh: HypervisorSsh | undefined;
    let volumes: HypervisorVolumes | undefined;
    try {
      const typeName = description.accel === 'kvm' ? 'kvm' : 'qemu';
      let files: DomainFiles;
      let sshPort: number | undefined;
      let localSsh: { host: string; port: number } | undefined;
      let netDump: string | undefined;
      const wantsSsh = description.network !== false && description.network?.ssh !== undefined && !connection.bridge;
      if (!uri.remote) {
        files = await localFiles(description, name, localTemp);
        netDump = files.netDump;
        sshPort = wantsSsh ? (description.network && description.network.ssh?.hostPort) || (await findFreePort()) : undefined;
        localSsh = sshPort !== undefined ? { host: '127.0.0.1', port: sshPort } : undefined;
      } else {
        hypervisorSsh = await HypervisorSsh.connect(uri, description.signal);
        volumes = await HypervisorVolumes.open(virsh, pool, reaper, logger);
        files = await volumes.upload(description, name, downloads, description.signal);
        sshPort = wantsSsh ? randomInt(20000, 60000) : undefined;
        if (sshPort !== undefined) localSsh = { host: '127.0.0.1', port: await hypervisorSsh.tunnel(sshPort) };
      }
      const xml = domainXml(description, {
        name,
        type: typeName,
        files,
        ...(sshPort !== undefined ? { sshPort } : {}),
        ...(connection.bridge ? { bridge: connection.bridge } : {}),
        ...(!uri.remote && typeof process.getuid === 'function' ? { runAs: { uid: process.getuid(), gid: process.getgid!() } } : {}),
        owner: { host: hostname(), pid: process.pid, startedAt: new Date().toISOString() },
      });
      const xmlPath = join(description.runDir, `${name}.xml`);
      writeFileSync(xmlPath, xml, { mode: 0o600 });
      localTemp.push(xmlPath);
      events = await DomainEvents.watch(virsh);
      const created = await virsh.tryRun(['create', xmlPath], { ...(description.signal ? { signal: description.signal } : {}) });
      if (created.exitCode !== 0) {
        throw new OzkitError('DOMAIN_FAILED', `libvirt could not start the guest ${name} on ${uri.uri}: ${libvirtMessage(created.stderr)}`, {
          hint: 'virsh create refused the generated domain XML; it is kept with -v in the run folder',
          details: { virshStderr: created.stderr },
        });
      }
      logger?.debug(`libvirt: started transient domain ${name} on ${uri.uri} (${typeName})`);
      const guest = new LibvirtGuest(description, ctx, name, localSsh, events, reaper, volumes, hypervisorSsh, localTemp, downloads, netDump);
      if (uri.remote && hypervisorSsh) {
        guest.stopFollow.push(hypervisorSsh.follow(files.consoleLog, description.consoleLog));
      }
      return guest;
    } catch (error) {
      events?.close();
      await virsh.tryRun(['destroy', name]).catch(() => undefined);
      await volumes?.deleteAll().catch(() => undefined);
      hypervisorSsh?.close();
      for (const file of localTemp) rmSync(file, { force: true });
      reaper.done();
      throw error;
    }
  }

  onEvent(listener: (event: GuestEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: GuestEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  private onLifecycle(event: LifecycleEvent): void {
    if (event.kind !== 'lifecycle') return;
    const detail = event.detail;
    // QEMU's SHUTDOWN event says more (a reboot under on_reboot=destroy looks like a power-off here):
    // libvirt's own word only counts when no QMP event came.
    if (detail.startsWith('Shutdown')) this.lifecycleShutdown = { reason: LIFECYCLE_REASON[detail] ?? 'other', detail };
    if (detail.startsWith('Stopped') && !this.lastShutdown && this.lifecycleShutdown) this.setShutdown(this.lifecycleShutdown.reason, this.lifecycleShutdown.detail);
    if (detail === 'Crashed Panicked') this.emit({ type: 'panic', detail: `libvirt: ${detail}` });
    if (detail.startsWith('Stopped')) this.finish(detail);
  }

  private onMonitor(event: string, data: Record<string, unknown>): void {
    // on_reboot=destroy: libvirt sees QEMU's RESET and ends it with a signal (SHUTDOWN host-signal).
    if (event === 'RESET' && data.guest === true && this.description.rebootEndsGuest) this.setShutdown('guest-reset', 'guest-reset');
    // The first SHUTDOWN is the guest's; libvirt then ends QEMU with SIGTERM, which is a second one (host-signal).
    if (event === 'SHUTDOWN' && !this.lastShutdown) this.setShutdown(shutdownReason(String(data.reason ?? '')), String(data.reason ?? ''));
    if (event === 'GUEST_PANICKED') this.emit({ type: 'panic', detail: `QMP GUEST_PANICKED ${JSON.stringify(data)}` });
  }

  private setShutdown(reason: ShutdownReason, detail: string): void {
    const event = { type: 'shutdown' as const, reason, detail };
    this.lastShutdown = event;
    this.emit(event);
  }

  private async checkGone(): Promise<void> {
    if (this.exitStatus) return;
    const state = await this.ctx.virsh.tryRun(['domstate', this.name]).catch(() => undefined);
    if (state && state.exitCode !== 0 && /failed to get domain|not found/i.test(state.stderr)) this.finish('gone');
  }

  private finish(detail: string): void {
    if (this.exitStatus) return;
    if (this.poller) clearInterval(this.poller);
    const exit: GuestExit =
      detail === 'Stopped Shutdown' || (detail === 'Stopped Destroyed' && this.lastShutdown !== undefined)
        ? { code: 0, signal: null }
        : detail === 'Stopped Destroyed' || detail === 'gone'
          ? { code: null, signal: 'SIGKILL' }
          : { code: 1, signal: null };
    this.exitStatus = exit;
    this.emit({ type: 'exit', exit });
    this.resolveExit(exit);
  }

  get hypervisorOutput(): string {
    if (this.ctx.uri.remote) return '';
    const log = `/var/log/libvirt/qemu/${this.name}.log`;
    try {
      return readFileSync(log, 'utf8').split('\n').slice(-20).join('\n');
    } catch {
      return '';
    }
  }

  async stats(): Promise<GuestStats> {
    const out = await this.ctx.virsh.run(['domstats', '--block', this.name]);
    const stats: GuestStats = { diskReadBytes: 0, diskWriteBytes: 0, diskReadOps: 0, diskWriteOps: 0 };
    for (const line of out.split('\n')) {
      const m = /^\s*block\.\d+\.(rd|wr)\.(bytes|reqs)=(\d+)/.exec(line);
      if (!m) continue;
      const value = Number(m[3]);
      if (m[1] === 'rd') {
        if (m[2] === 'bytes') stats.diskReadBytes += value;
        else stats.diskReadOps += value;
      } else if (m[2] === 'bytes') stats.diskWriteBytes += value;
      else stats.diskWriteOps += value;
    }
    if (this.netCounter) stats.netBytes = await this.netCounter.read();
    return stats;
  }

  async screenshot(pngPath: string, options?: { signal?: AbortSignal }): Promise<string> {
    const raw = `${pngPath}.screen`;
    try {
      await this.ctx.virsh.run(['screenshot', this.name, raw], { ...(options?.signal ? { signal: options.signal } : {}) });
      const magic = readFileSync(raw).subarray(0, 8);
      // libvirt hands over what QEMU's screendump made: PNG on newer QEMU, PPM on older ones.
      if (magic[0] === 0x89 && magic.toString('latin1', 1, 4) === 'PNG') renameSync(raw, pngPath);
      else await screendumpToPng(raw, pngPath, { ...(options?.signal ? { signal: options.signal } : {}) });
      return pngPath;
    } finally {
      rmSync(raw, { force: true });
    }
  }

  async powerDown(timeoutMs: number): Promise<boolean> {
    if (!this.exitStatus) {
      await this.ctx.virsh.tryRun(['shutdown', '--mode', 'acpi', this.name]);
      const clean = await Promise.race([this.exited.then(() => true), delay(timeoutMs).then(() => false)]);
      if (!clean) {
        await this.kill();
        return false;
      }
    }
    await this.release(true);
    return true;
  }

  async kill(): Promise<void> {
    if (!this.exitStatus) {
      this.killed = true;
      await this.ctx.virsh.tryRun(['destroy', this.name]).catch(() => undefined);
      await Promise.race([this.exited, delay(10_000)]);
      this.finish('Stopped Destroyed');
    }
    await this.release(false);
  }

  async waitForExit(): Promise<GuestExit> {
    const exit = await this.exited;
    await this.release(!this.killed);
    return exit;
  }

  /** Everything the guest used goes; written disks come back from a remote pool first. */
  private async release(keepDisks: boolean): Promise<void> {
    if (this.released) return;
    this.released = true;
    if (this.poller) clearInterval(this.poller);
    this.events.off(this.name);
    this.monitor?.close();
    for (const stop of this.stopFollow) stop();
    await this.console.poll();
    await this.netCounter?.close();
    try {
      if (this.volumes) {
        if (keepDisks) for (const d of this.downloads) await this.volumes.download(d.volume, d.path);
        await this.volumes.deleteAll();
      }
    } finally {
      this.hypervisorSsh?.close();
      for (const file of this.localTemp) rmSync(file, { force: true });
      this.reaper.done();
    }
  }
}

/** Local URI: the guest uses the tool's own files; only throw-away overlays and UEFI variables are made. */
async function localFiles(description: GuestDescription, name: string, temp: string[]): Promise<DomainFiles> {
  const disks: DomainFiles['disks'] = [];
  for (const [i, disk] of description.disks.entries()) {
    if (!disk.snapshot) {
      disks.push({ path: disk.path, format: disk.format });
      continue;
    }
    const overlay = join(description.runDir, `${name}-snapshot${i}.qcow2`);
    const { virtualSize } = await diskInfo(disk.path);
    await createDisk(overlay, 'qcow2', virtualSize, { backing: { path: disk.path, format: disk.format } });
    temp.push(overlay);
    disks.push({ path: overlay, format: 'qcow2' });
  }
  const files: DomainFiles = { disks, consoleLog: description.consoleLog };
  if (description.cdrom !== undefined) {
    files.cdrom = description.cdrom;
    if (description.cdromFormat) files.cdromFormat = description.cdromFormat;
  }
  if (description.kernel) files.kernel = { kernel: description.kernel.kernel, initrd: description.kernel.initrd };
  if (description.firmware === 'uefi') {
    const vars = join(description.runDir, `${name}-VARS.fd`);
    copyFileSync(OVMF_VARS, vars);
    temp.push(vars);
    files.uefi = { code: OVMF_CODE, vars };
  }
  if (description.network && description.network.countBytes) {
    files.netDump = join(description.runDir, `${name}-net.pcap`);
    temp.push(files.netDump);
  }
  return files;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
