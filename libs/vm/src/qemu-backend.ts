import { OzkitError } from '@ozkit/errors';
import type { Logger } from '@ozkit/log';
import { QemuVm, findFreePort, kvmStartFailure, probeAccel, requireQemuImg, requireQemuSystem, type VmOptions } from '@ozkit/qemu';
import type { QmpEvent } from '@ozkit/qmp';
import {
  DEFAULT_NIC_MODEL,
  type AccelChoice,
  type GuestDescription,
  type GuestEvent,
  type GuestExit,
  type GuestStats,
  type RunningGuest,
  type ShutdownReason,
  type VmBackend,
} from './vm-backend.js';

/** How long a QMP socket may take to deliver its last events after QEMU exited. */
const LAST_EVENTS_MS = 2000;

/**
 * QEMU run directly: no daemon, no root. Keeps @ozkit/qemu's guarantees (no QEMU outlives the
 * tool: `setpriv --pdeathsig KILL` + an exit hook; the KVM probe; TCG when KVM is not usable).
 */
export const qemuBackend: VmBackend = {
  name: 'qemu',
  checkHost(arch: string): void {
    requireQemuSystem(arch);
    requireQemuImg();
  },
  chooseAccel(requested, options, logger): Promise<AccelChoice> {
    return probeAccel(requested, logger, options);
  },
  async start(description: GuestDescription, logger?: Logger): Promise<RunningGuest> {
    const network = description.network;
    const sshPort = network && network.ssh ? (network.ssh.hostPort ?? (await findFreePort())) : undefined;
    const failure = description.accel === 'kvm' ? await kvmDiesAtStart(description, sshPort, logger) : undefined;
    if (failure instanceof QemuGuest) return failure;
    const ran = failure === undefined ? description : { ...description, accel: 'tcg' as const };
    if (failure !== undefined) logger?.warn(`KVM could not start the guest (${failure}): falling back to TCG (software emulation, slow)`);
    const vm = await QemuVm.start(vmOptions(ran, sshPort), logger);
    return new QemuGuest(vm, ran, sshPort);
  },
};

/** How long a KVM guest is watched for the vCPU abort after QEMU answered on QMP (it comes within milliseconds). */
const KVM_ABORT_WINDOW_MS = 1500;

/**
 * Starts `description` under KVM: the running guest, or the line of QEMU's output saying KVM
 * could not start its vCPU (before or just after QMP answered; nothing of the guest ran), so the
 * caller can start it again under TCG. Any other failure is thrown as it is.
 */
async function kvmDiesAtStart(description: GuestDescription, sshPort: number | undefined, logger?: Logger): Promise<QemuGuest | string> {
  let vm: QemuVm;
  try {
    vm = await QemuVm.start(vmOptions(description, sshPort), logger);
  } catch (error) {
    const line = error instanceof OzkitError && error.code === 'QEMU_CRASHED' ? kvmStartFailure(String(error.details?.qemuStderr ?? '')) : undefined;
    if (line === undefined) throw error;
    return line;
  }
  const exited = await Promise.race([vm.exited.then(() => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), KVM_ABORT_WINDOW_MS))]);
  const line = exited ? kvmStartFailure(vm.stderr) : undefined;
  if (line === undefined) return new QemuGuest(vm, description, sshPort);
  await vm.kill();
  vm.removeRunFiles();
  return line;
}

/** The description in @ozkit/qemu's terms. */
export function vmOptions(description: GuestDescription, sshPort: number | undefined): VmOptions {
  const network = description.network;
  return {
    arch: description.arch,
    ...(description.machine ? { machine: description.machine } : {}),
    accel: description.accel,
    cpus: description.cpus,
    memoryMiB: description.memoryMiB,
    disks: description.disks.map((d) => ({ ...d })),
    ...(description.cdrom !== undefined ? { cdrom: description.cdrom, ...(description.cdromFormat ? { cdromFormat: description.cdromFormat } : {}) } : {}),
    ...(description.kernel ? { kernel: description.kernel } : {}),
    ...(description.boot ? { boot: description.boot } : {}),
    nic: network === false ? false : (network?.model ?? DEFAULT_NIC_MODEL),
    hostForwards: sshPort !== undefined ? [{ hostPort: sshPort, guestPort: 22 }] : [],
    captureNetStats: network !== false && Boolean(network?.countBytes),
    runDir: description.runDir,
    consoleLog: description.consoleLog,
    noReboot: description.rebootEndsGuest ?? false,
    firmware: description.firmware ?? 'bios',
    ...(description.qemuArgs?.length ? { extraArgs: description.qemuArgs } : {}),
    ...(description.signal ? { signal: description.signal } : {}),
  };
}

/** QMP's SHUTDOWN reasons in the backend-neutral words. */
export function shutdownReason(qmpReason: string | undefined): ShutdownReason {
  switch (qmpReason) {
    case 'guest-shutdown':
      return 'guest-poweroff';
    case 'guest-reset':
      return 'guest-reset';
    case 'guest-panic':
      return 'guest-panic';
    case 'host-signal':
      return 'host-signal';
    case 'host-qmp-quit':
    case 'host-qmp-system-reset':
    case 'host-ui':
      return 'host-request';
    default:
      return 'other';
  }
}

class QemuGuest implements RunningGuest {
  readonly hypervisor = 'QEMU';
  readonly label: string;
  readonly ssh: { host: string; port: number } | undefined;
  readonly exited: Promise<GuestExit>;
  private shutdown: Extract<GuestEvent, { type: 'shutdown' }> | undefined;
  private readonly listeners = new Set<(event: GuestEvent) => void>();
  private readonly qmpClosed: Promise<void>;

  constructor(
    private readonly vm: QemuVm,
    readonly description: GuestDescription,
    sshPort: number | undefined,
  ) {
    this.label = `QEMU pid ${vm.pid}`;
    this.ssh = sshPort !== undefined ? { host: '127.0.0.1', port: sshPort } : undefined;
    this.exited = vm.exited;
    vm.qmp.on('SHUTDOWN', (e: QmpEvent) => {
      const detail = String(e.data?.reason ?? '');
      const event = { type: 'shutdown' as const, reason: shutdownReason(detail), detail };
      this.shutdown = event;
      this.emit(event);
    });
    vm.qmp.on('GUEST_PANICKED', (e: QmpEvent) => this.emit({ type: 'panic', detail: `QMP GUEST_PANICKED ${JSON.stringify(e.data)}` }));
    void vm.exited.then((exit) => this.emit({ type: 'exit', exit }));
    this.qmpClosed = new Promise<void>((resolve) => (vm.qmp.closed ? resolve() : vm.qmp.once('close', () => resolve())));
    description.signal?.addEventListener('abort', () => void this.kill(), { once: true });
  }

  get console() {
    return this.vm.console;
  }

  get exitStatus(): GuestExit | undefined {
    return this.vm.exitStatus;
  }

  get killed(): boolean {
    return this.vm.killed;
  }

  get lastShutdown() {
    return this.shutdown;
  }

  get hypervisorOutput(): string {
    return this.vm.stderr;
  }

  onEvent(listener: (event: GuestEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: GuestEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  stats(): Promise<GuestStats> {
    return this.vm.activity();
  }

  screenshot(pngPath: string, options?: { signal?: AbortSignal }): Promise<string> {
    return this.vm.screendumpPng(pngPath, options);
  }

  async powerDown(timeoutMs: number): Promise<boolean> {
    const clean = await this.vm.powerdown(timeoutMs);
    this.vm.removeRunFiles();
    return clean;
  }

  async kill(): Promise<void> {
    await this.vm.kill();
    this.vm.removeRunFiles();
  }

  async waitForExit(): Promise<GuestExit> {
    const exit = await this.vm.exited;
    // QMP closes a moment after the process exit is reported: the last events (SHUTDOWN) may still be on their way.
    await Promise.race([this.qmpClosed, new Promise((r) => setTimeout(r, LAST_EVENTS_MS))]);
    await this.vm.waitForExit();
    this.vm.removeRunFiles();
    return exit;
  }
}
