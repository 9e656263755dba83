import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { OzkitError } from '@ozkit/errors';
import type { Logger } from '@ozkit/log';
import { QmpClient, type BlockStats } from '@ozkit/qmp';
import { buildQemuArgs, OVMF_VARS } from './qemu-args.js';
import { findProgram, requireQemuSystem } from './programs.js';
import { SerialConsole } from './serial-console.js';
import { NetTrafficCounter } from './net-traffic.js';
import { screendumpPng, type ScreendumpOptions } from './screendump.js';
import type { VmOptions, VmPaths } from './vm-options.js';

export interface VmExit {
  code: number | null;
  signal: string | null;
}

/** Activity counters summed over every block device and the NIC. */
export interface VmActivity {
  diskReadBytes: number;
  diskWriteBytes: number;
  diskReadOps: number;
  diskWriteOps: number;
  /** Undefined when network capture is off. */
  netBytes?: number;
}

// sun_path is 108 bytes; leave room for the terminating NUL.
const MAX_SOCKET_PATH = 100;

/** Every VM this process started and has not seen exit: killed if the process exits without ending them. */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
});

/**
 * One QEMU process run directly (no libvirt): QMP for control and statistics, the serial
 * console followed from a file. QEMU cannot outlive this Node process: it runs under
 * `setpriv --pdeathsig KILL` (the kernel kills it when its parent dies, even by SIGKILL),
 * in its own process group (a terminal's Ctrl-C reaches ozkit, which then ends it cleanly),
 * and an exit hook kills what is left.
 */
export class QemuVm {
  readonly options: VmOptions;
  readonly paths: VmPaths;
  readonly args: string[];
  readonly pid: number;
  readonly qmp: QmpClient;
  readonly console: SerialConsole;
  readonly exited: Promise<VmExit>;
  private readonly child: ChildProcess;
  private readonly logger: Logger | undefined;
  private readonly stderrTail: { text: string };
  private readonly net: NetTrafficCounter | undefined;
  private readonly socketDir: string | undefined;
  private exitInfo: VmExit | undefined;
  private killedByUs = false;

  private constructor(init: {
    options: VmOptions;
    paths: VmPaths;
    args: string[];
    child: ChildProcess;
    qmp: QmpClient;
    console: SerialConsole;
    exited: Promise<VmExit>;
    logger?: Logger;
    stderrTail: { text: string };
    net?: NetTrafficCounter;
    socketDir?: string;
  }) {
    this.options = init.options;
    this.paths = init.paths;
    this.args = init.args;
    this.child = init.child;
    this.pid = init.child.pid!;
    this.qmp = init.qmp;
    this.console = init.console;
    this.exited = init.exited;
    this.logger = init.logger;
    this.stderrTail = init.stderrTail;
    this.net = init.net;
    this.socketDir = init.socketDir;
    void this.exited.then((e) => (this.exitInfo = e));
  }

  /** Starts QEMU and connects QMP. On any failure nothing is left running. */
  static async start(options: VmOptions, logger?: Logger): Promise<QemuVm> {
    if (options.signal?.aborted) throw options.signal.reason;
    const binary = requireQemuSystem(options.arch);
    const runDir = resolve(options.runDir);
    mkdirSync(runDir, { recursive: true });
    let socketDir: string | undefined;
    let qmpSocket = join(runDir, 'qmp.sock');
    if (Buffer.byteLength(qmpSocket) > MAX_SOCKET_PATH) {
      socketDir = mkdtempSync(join(tmpdir(), 'ozkit-qmp-'));
      qmpSocket = join(socketDir, 'qmp.sock');
    }
    const paths: VmPaths = {
      qmpSocket,
      pidFile: join(runDir, 'qemu.pid'),
      netCapture: join(runDir, 'net.pcap'),
      uefiVars: join(runDir, 'uefi-vars.fd'),
    };
    rmSync(paths.qmpSocket, { force: true });
    rmSync(paths.netCapture, { force: true });
    if (options.firmware === 'uefi') copyFileSync(OVMF_VARS, paths.uefiVars);
    const args = buildQemuArgs(options, paths);
    const setpriv = findProgram('setpriv');
    const [command, argv] = setpriv ? [setpriv, ['--pdeathsig', 'KILL', '--', binary, ...args]] : [binary, args];
    if (!setpriv) logger?.warn('setpriv (util-linux) not found: QEMU may outlive ozkit if ozkit is killed with SIGKILL');
    logger?.debug(`starting ${binary} ${args.map(shellQuote).join(' ')}`);

    const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    live.add(child);
    const stderrTail = { text: '' };
    const keep = (chunk: Buffer) => {
      stderrTail.text = (stderrTail.text + chunk.toString('utf8')).slice(-4000);
    };
    child.stderr!.on('data', keep);
    child.stdout!.on('data', keep);
    const exited = new Promise<VmExit>((resolveExit) => {
      child.once('error', (error) => {
        live.delete(child);
        stderrTail.text += `\n${error.message}`;
        resolveExit({ code: null, signal: 'spawn-error' });
      });
      child.once('exit', (code, signal) => {
        live.delete(child);
        resolveExit({ code, signal });
      });
    });
    let exitedEarly: VmExit | undefined;
    void exited.then((e) => (exitedEarly = e));

    const console = new SerialConsole(options.consoleLog);
    console.start();
    const net = options.nic !== false && (options.captureNetStats ?? true) ? new NetTrafficCounter(paths.netCapture) : undefined;
    let qmp: QmpClient;
    try {
      qmp = await QmpClient.connect(paths.qmpSocket, {
        timeoutMs: 30_000,
        signal: options.signal,
        abandonIf: () => (exitedEarly ? describeExit(exitedEarly, stderrTail.text) : undefined),
      });
    } catch (error) {
      if (!exitedEarly) child.kill('SIGKILL');
      const exit = await exited;
      await console.stop();
      await net?.close();
      if (socketDir) rmSync(socketDir, { recursive: true, force: true });
      if (options.signal?.aborted) throw options.signal.reason;
      throw new OzkitError('QEMU_CRASHED', `QEMU failed to start: ${describeExit(exit, stderrTail.text)}`, {
        cause: error,
        hint: 'the QEMU command line is shown with -v',
        details: { qemuStderr: stderrTail.text.trim() },
      });
    }
    return new QemuVm({ options, paths, args, child, qmp, console, exited, logger, stderrTail, net, socketDir });
  }

  /** Exit status once QEMU has exited, else undefined. */
  get exitStatus(): VmExit | undefined {
    return this.exitInfo;
  }

  /** What QEMU wrote to stderr/stdout (last 4000 characters). */
  get stderr(): string {
    return this.stderrTail.text;
  }

  /** True when kill() ended it (so an exit is not a crash). */
  get killed(): boolean {
    return this.killedByUs;
  }

  /** Sums of `query-blockstats` over all devices, plus captured network bytes. */
  async activity(): Promise<VmActivity> {
    const stats = await this.qmp.execute<BlockStats[]>('query-blockstats');
    const sum: VmActivity = { diskReadBytes: 0, diskWriteBytes: 0, diskReadOps: 0, diskWriteOps: 0 };
    for (const s of stats) {
      sum.diskReadBytes += s.stats.rd_bytes;
      sum.diskWriteBytes += s.stats.wr_bytes;
      sum.diskReadOps += s.stats.rd_operations;
      sum.diskWriteOps += s.stats.wr_operations;
    }
    if (this.net) sum.netBytes = await this.net.read();
    return sum;
  }

  /** QMP screendump (PPM), converted to PNG next to it; returns the PNG path. */
  async screendumpPng(pngPath: string, options?: ScreendumpOptions): Promise<string> {
    return screendumpPng(this.qmp, pngPath, options);
  }

  /**
   * Asks the guest to power off (ACPI), waits up to timeoutMs, then kills QEMU and says so.
   * Returns true if the guest powered off by itself.
   */
  async powerdown(timeoutMs: number): Promise<boolean> {
    if (this.exitInfo) return true;
    try {
      await this.qmp.execute('system_powerdown');
    } catch {
      // QEMU may be exiting already; the wait below decides.
    }
    const exit = await Promise.race([this.exited, sleepUnref(timeoutMs).then(() => undefined)]);
    if (exit) {
      await this.release();
      return true;
    }
    this.logger?.warn(`guest did not power off within ${Math.round(timeoutMs / 1000)} s of an ACPI power-down request; killing QEMU`);
    await this.kill();
    return false;
  }

  /** Ends QEMU now (SIGKILL) and waits for it. Safe to call more than once. */
  async kill(): Promise<void> {
    if (!this.exitInfo) {
      this.killedByUs = true;
      try {
        this.child.kill('SIGKILL');
      } catch {
        // already gone
      }
      await this.exited;
    }
    await this.release();
  }

  /** Stops following console/network and removes the socket and pid files (QEMU must have exited). */
  private async release(): Promise<void> {
    this.qmp.close();
    await this.console.stop();
    await this.net?.read();
    await this.net?.close();
    rmSync(this.paths.qmpSocket, { force: true });
    rmSync(this.paths.pidFile, { force: true });
    if (this.socketDir) rmSync(this.socketDir, { recursive: true, force: true });
  }

  /** Waits for QEMU to exit by itself, then releases everything. */
  async waitForExit(): Promise<VmExit> {
    const exit = await this.exited;
    await this.release();
    return exit;
  }

  /** Removes the network capture and the UEFI variables copy (after the VM has ended). */
  removeRunFiles(): void {
    rmSync(this.paths.netCapture, { force: true });
    rmSync(this.paths.uefiVars, { force: true });
  }
}

export function describeExit(exit: VmExit, stderr: string): string {
  const how = exit.signal ? `killed by ${exit.signal}` : `exited with status ${exit.code}`;
  const text = stderr.trim().split('\n').filter(Boolean).slice(-3).join(' / ');
  return text ? `${how}: ${text}` : how;
}

function sleepUnref(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_\-.,:=/@+]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
