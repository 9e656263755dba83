import type { Logger } from '@ozkit/log';

/**
 * What a guest is made of, independent of what runs it. A backend turns this into its own
 * terms (QEMU's command line today; a libvirt domain later); nothing outside this lib sees those.
 */
export interface GuestDescription {
  arch: string;
  /** Hardware virtualisation or emulation; `chooseAccel` decides `auto`. */
  accel: 'kvm' | 'tcg';
  firmware?: 'bios' | 'uefi';
  /** Machine type; default the architecture's usual one (x86: `pc`). */
  machine?: string;
  cpus: number;
  memoryMiB: number;
  disks: GuestDisk[];
  /** An ISO image attached as a CD-ROM. */
  cdrom?: string;
  /** How it is stored; default raw (a plain ISO). qcow2: an overlay on the original ISO (iso-fetch's remaster). */
  cdromFormat?: 'raw' | 'qcow2';
  /** Boot this kernel directly (the disk and CD-ROM are still attached). */
  kernel?: { kernel: string; initrd: string; append: string };
  /** Boot device when no kernel is given. Default: the CD-ROM if there is one, else the disk. */
  boot?: 'cdrom' | 'disk';
  /** The guest's network: user-mode, bound to loopback. `false`: no network at all. */
  network?: GuestNetwork | false;
  /** The guest's serial console is written to this file. */
  consoleLog: string;
  /** Private to this guest: the backend's sockets and run files live here. */
  runDir: string;
  /** A reboot request ends the guest instead of rebooting it (the end of an installer run). */
  rebootEndsGuest?: boolean;
  /** QEMU command-line arguments a user asked for, appended after the backend's own. */
  qemuArgs?: string[];
  /** Aborting it ends the guest. */
  signal?: AbortSignal;
}

export interface GuestDisk {
  path: string;
  format: 'qcow2' | 'raw';
  bus: 'virtio' | 'ide';
  /** Pass guest TRIM/discard through to the image (keeps it sparse). Default true. */
  discard?: boolean;
  /**
   * Host caching: writeback (default) honours the guest's flushes; unsafe ignores them, for a
   * disk that is thrown away unless the guest finishes (the install disk), whose owner then
   * flushes it once on the host (see flushDiskImage).
   */
  cache?: 'writeback' | 'unsafe';
  /** Writes go to a throw-away overlay: the image itself is only read. */
  snapshot?: boolean;
  readonly?: boolean;
}

/** The NIC a guest gets unless its network says otherwise (both backends). */
export const DEFAULT_NIC_MODEL = 'virtio-net-pci';

export interface GuestNetwork {
  /** NIC model: virtio-net-pci (default); e1000 or rtl8139 for old guests. */
  model?: string;
  /** Forward one TCP port to the guest's port 22. `hostPort` absent: a free one is picked. */
  ssh?: { hostPort?: number };
  /** Count the guest's network bytes (for an activity watchdog). Default false. */
  countBytes?: boolean;
}

export interface GuestExit {
  code: number | null;
  signal: string | null;
}

/** Why the guest stopped, as the hypervisor saw it. */
export type ShutdownReason = 'guest-poweroff' | 'guest-reset' | 'guest-panic' | 'host-signal' | 'host-request' | 'other';

export type GuestEvent =
  | { type: 'shutdown'; reason: ShutdownReason; /** The backend's own word for it. */ detail: string }
  | { type: 'panic'; detail: string }
  | { type: 'exit'; exit: GuestExit };

/** Counters summed over every disk and the NIC, cumulative since the guest started. */
export interface GuestStats {
  diskReadBytes: number;
  diskWriteBytes: number;
  diskReadOps: number;
  diskWriteOps: number;
  /** Undefined unless `network.countBytes`. */
  netBytes?: number;
}

/** The guest's serial console as it is being written. */
export interface GuestConsole {
  readonly path: string;
  /** The last n lines, cleaned of terminal escapes, without empty ones. */
  tail(n?: number): string[];
  readonly lastLine: string | undefined;
  onLine(callback: (line: string) => void): () => void;
  /** The first line (already seen, or from now on) matching `pattern`. */
  waitFor(pattern: RegExp | string, timeoutMs: number, options?: { includePast?: boolean; signal?: AbortSignal }): Promise<string>;
  /** Reads what has been written so far. */
  poll(): Promise<void>;
}

/** A guest that a backend started. Ending it (kill, powerDown, waitForExit) releases everything it used. */
export interface RunningGuest {
  readonly description: GuestDescription;
  /** For people: which hypervisor runs it and how to find it ("QEMU pid 4711"). */
  readonly label: string;
  /** The hypervisor's name in messages ("QEMU"). */
  readonly hypervisor: string;
  readonly console: GuestConsole;
  /** Where the guest's port 22 is reachable, when `network.ssh` asked for it. */
  readonly ssh: { host: string; port: number } | undefined;
  /** Resolves when the guest has stopped running. */
  readonly exited: Promise<GuestExit>;
  /** Set once the guest has stopped. */
  readonly exitStatus: GuestExit | undefined;
  /** True when kill() ended it (so the end is not a crash). */
  readonly killed: boolean;
  /** The last shutdown event, if there was one. */
  readonly lastShutdown: Extract<GuestEvent, { type: 'shutdown' }> | undefined;
  /** The hypervisor's own last words (stderr), for crash reports. */
  readonly hypervisorOutput: string;
  /** Every event from now on; returns the unsubscribe function. */
  onEvent(listener: (event: GuestEvent) => void): () => void;
  stats(): Promise<GuestStats>;
  /** A PNG of the guest's screen. */
  screenshot(pngPath: string, options?: { signal?: AbortSignal }): Promise<string>;
  /** ACPI power button, then kill after timeoutMs (and says so). True if the guest powered off by itself. */
  powerDown(timeoutMs: number): Promise<boolean>;
  /** Ends the guest now. Safe to call more than once. */
  kill(): Promise<void>;
  /** Waits for the guest to stop by itself, with its last events delivered. */
  waitForExit(): Promise<GuestExit>;
}

export interface AccelChoice {
  accel: 'kvm' | 'tcg';
  reason: string;
  /** The verdict came from an earlier probe on this host boot. */
  cached: boolean;
}

/** What runs guests. The QEMU-direct backend is the only one today. */
export interface VmBackend {
  readonly name: string;
  /** Fails (exit 69, naming the package) when the host cannot run a guest of `arch`. */
  checkHost(arch: string): void;
  /** `kvm`/`tcg` as asked; `auto`: KVM only if this host really runs a guest with it. */
  chooseAccel(requested: 'auto' | 'kvm' | 'tcg', options: { arch: string; cacheDir?: string; signal?: AbortSignal }, logger?: Logger): Promise<AccelChoice>;
  /** Starts the guest. On failure nothing is left running. */
  start(description: GuestDescription, logger?: Logger): Promise<RunningGuest>;
}
