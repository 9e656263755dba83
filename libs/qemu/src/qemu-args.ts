import { OzkitError } from '@ozkit/errors';
import type { VmOptions, VmPaths } from './vm-options.js';

const machineFor: Record<string, string> = {
  x86_64: 'pc',
  i386: 'pc',
  aarch64: 'virt',
  armv7l: 'virt',
  ppc64: 'pseries',
  ppc64le: 'pseries',
  s390x: 's390-ccw-virtio',
};

/** The machine type a guest of `arch` gets unless one is asked for (also what image properties report). */
export function defaultMachineType(arch: string): string | undefined {
  return machineFor[arch];
}

export const OVMF_CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd';
export const OVMF_VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd';

/** Snap length of the network capture: enough for the Ethernet header; lengths come from the record headers. */
export const NET_CAPTURE_SNAPLEN = 14;

/** Escapes a value for QEMU's comma-separated option syntax (a comma is doubled). */
export function qemuOptionValue(value: string): string {
  return value.replace(/,/g, ',,');
}

/** The QEMU command line (without the binary) for `options`. Pure, so it can be unit-tested. */
export function buildQemuArgs(options: VmOptions, paths: VmPaths): string[] {
  const x86 = options.arch === 'x86_64' || options.arch === 'i386';
  const machine = options.machine ?? machineFor[options.arch];
  if (!machine) throw new OzkitError('BAD_DOCUMENT', `no QEMU machine known for architecture "${options.arch}"`);
  const v = qemuOptionValue;
  const args: string[] = [
    '-name',
    `ozkit,debug-threads=off`,
    '-nodefaults',
    '-no-user-config',
    '-machine',
    `${machine},accel=${options.accel}`,
    '-smp',
    String(options.cpus),
    '-m',
    `${options.memoryMiB}M`,
    '-display',
    'none',
    '-vga',
    'std',
    '-qmp',
    `unix:${v(paths.qmpSocket)},server=on,wait=off`,
    '-pidfile',
    paths.pidFile,
    '-chardev',
    `file,id=serial0,path=${v(options.consoleLog)}`,
    '-serial',
    'chardev:serial0',
    '-object',
    'rng-random,id=rng0,filename=/dev/urandom',
    '-device',
    'virtio-rng-pci,rng=rng0',
  ];
  if (options.accel === 'kvm') args.push('-cpu', 'host');
  if (x86) args.push('-device', 'pvpanic');
  if (options.noReboot) args.push('-no-reboot');
  if (options.firmware === 'uefi') {
    args.push('-drive', `if=pflash,format=raw,unit=0,readonly=on,file=${v(OVMF_CODE)}`);
    args.push('-drive', `if=pflash,format=raw,unit=1,file=${v(paths.uefiVars)}`);
  }

  const bootFromCd = !options.kernel && options.cdrom !== undefined && (options.boot ?? 'cdrom') === 'cdrom';
  let ideUnit = 0;
  const nextIde = () => {
    const bus = `ide.${Math.floor(ideUnit / 2)}`;
    const unit = ideUnit % 2;
    ideUnit++;
    if (ideUnit > 4) throw new OzkitError('USAGE', 'more than 4 IDE devices (disks + CD-ROM) requested');
    return `bus=${bus},unit=${unit}`;
  };
  options.disks.forEach((disk, i) => {
    const id = `disk${i}`;
    const drive = [`file=${v(disk.path)}`, `format=${disk.format}`, 'if=none', `id=${id}`, `cache=${disk.cache ?? 'writeback'}`];
    if (disk.discard ?? true) drive.push('discard=unmap', 'detect-zeroes=unmap');
    if (disk.snapshot) drive.push('snapshot=on');
    if (disk.readonly) drive.push('readonly=on');
    args.push('-drive', drive.join(','));
    const boot = i === 0 && !bootFromCd && !options.kernel ? ',bootindex=1' : '';
    if (disk.bus === 'virtio') args.push('-device', `virtio-blk-pci,drive=${id}${boot}`);
    else args.push('-device', `ide-hd,drive=${id},${nextIde()}${boot}`);
  });
  if (options.cdrom !== undefined) {
    args.push('-drive', `file=${v(options.cdrom)},format=${options.cdromFormat ?? 'raw'},if=none,id=cd0,media=cdrom,readonly=on`);
    args.push('-device', `ide-cd,drive=cd0,${nextIde()}${bootFromCd ? ',bootindex=0' : ''}`);
  }
  if (options.kernel) {
    args.push('-kernel', options.kernel.kernel, '-initrd', options.kernel.initrd, '-append', options.kernel.append);
  }

  if (options.nic !== false) {
    const forwards = (options.hostForwards ?? []).map((f) => `,hostfwd=tcp:127.0.0.1:${f.hostPort}-:${f.guestPort}`).join('');
    args.push('-netdev', `user,id=net0${forwards}`);
    args.push('-device', `${options.nic ?? 'virtio-net-pci'},netdev=net0`);
    if (options.captureNetStats ?? true) {
      args.push('-object', `filter-dump,id=netdump0,netdev=net0,file=${v(paths.netCapture)},maxlen=${NET_CAPTURE_SNAPLEN}`);
    }
  }
  if (options.extraArgs) args.push(...options.extraArgs);
  return args;
}
