export interface VmDisk {
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
  /** Writes go to a temporary overlay and are thrown away (QEMU's snapshot=on). */
  snapshot?: boolean;
  readonly?: boolean;
}

export interface VmOptions {
  arch: string;
  /** Machine type; default the architecture's usual one (x86: `pc`). */
  machine?: string;
  accel: 'kvm' | 'tcg';
  cpus: number;
  memoryMiB: number;
  disks: VmDisk[];
  cdrom?: string;
  /** How the CD-ROM image is stored; default raw (a plain ISO). qcow2: e.g. an overlay on the original ISO. */
  cdromFormat?: 'raw' | 'qcow2';
  kernel?: { kernel: string; initrd: string; append: string };
  /** Boot device when no kernel is given. Default: cdrom if there is one, else disk. */
  boot?: 'cdrom' | 'disk';
  /** User-mode networking forwards, always bound to 127.0.0.1. */
  hostForwards?: { hostPort: number; guestPort: number }[];
  /** NIC model (virtio-net-pci default; e1000, rtl8139 for old guests). Set `false` for no network. */
  nic?: string | false;
  /** Unique per VM: QMP socket, pidfile, network capture and firmware variables live here. */
  runDir: string;
  /** The serial console is written here. */
  consoleLog: string;
  /** Turn a guest reboot into a QEMU exit (the end of an installer run). */
  noReboot?: boolean;
  firmware?: 'bios' | 'uefi';
  /** Count network bytes (pcap headers written to runDir) for activity watching. Default true. */
  captureNetStats?: boolean;
  /** Appended verbatim after ozkit's own arguments. */
  extraArgs?: string[];
  signal?: AbortSignal;
}

/** The files of one VM inside its runDir. */
export interface VmPaths {
  qmpSocket: string;
  pidFile: string;
  netCapture: string;
  uefiVars: string;
}
