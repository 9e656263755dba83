import { qemuOptionValue } from '@ozkit/qemu';
import { DEFAULT_NIC_MODEL, type GuestDescription } from '../vm-backend.js';

/** libvirt's namespace for QEMU command-line passthrough, and ozkit's own for the owner record. */
export const QEMU_NS = 'http://libvirt.org/schemas/domain/qemu/1.0';
export const OZKIT_NS = 'urn:ozkit:guest:1';

/** Where the domain's files are, as the hypervisor sees them (local paths, or volumes of a remote pool). */
export interface DomainFiles {
  disks: { path: string; format: 'qcow2' | 'raw' }[];
  cdrom?: string;
  /** Default raw. A qcow2 CD-ROM's backing file is found by libvirt in its header (its format is recorded there). */
  cdromFormat?: 'raw' | 'qcow2';
  kernel?: { kernel: string; initrd: string };
  /** UEFI: the firmware code and this guest's own variable store. */
  uefi?: { code: string; vars: string };
  /** The serial console file the hypervisor writes. */
  consoleLog: string;
  /** Where QEMU's filter-dump writes packet headers (byte counting), if asked. */
  netDump?: string;
}

export interface DomainXmlOptions {
  name: string;
  /** libvirt domain type: `qemu` (TCG) or `kvm`. */
  type: 'qemu' | 'kvm';
  files: DomainFiles;
  /** The hypervisor's loopback port forwarded to the guest's port 22. */
  sshPort?: number;
  /** A bridge the user named: a real NIC on it instead of user-mode networking. */
  bridge?: string;
  /** Run QEMU as this uid:gid without relabelling files (local URIs: the guest reads what the tool can). */
  runAs?: { uid: number; gid: number };
  owner: { host: string; pid: number; startedAt: string };
}

/** The NIC's PCI slot, out of the way of the slots libvirt assigns to its own devices. */
const NIC_PCI_ADDR = '0x1e';
const NETDEV_ID = 'ozkitnet0';

/**
 * A transient libvirt domain for one guest. User-mode networking goes through
 * `<qemu:commandline>` (libvirt 9.0 in Debian 12 has no passt `<portForward>`), so the guest
 * gets no bridge and no private-range network, exactly like the QEMU-direct backend.
 */
export function domainXml(guest: GuestDescription, options: DomainXmlOptions): string {
  const { files } = options;
  const uefi = guest.firmware === 'uefi' && files.uefi;
  const machine = guest.machine ?? (guest.arch === 'x86_64' || guest.arch === 'i386' ? 'pc' : undefined);
  const cdBus = machine?.startsWith('q35') ? 'sata' : 'ide';
  const lines: string[] = [];
  const add = (indent: number, text: string) => lines.push(' '.repeat(indent) + text);

  add(0, `<domain type='${options.type}' xmlns:qemu='${QEMU_NS}'>`);
  add(2, `<name>${esc(options.name)}</name>`);
  add(2, `<metadata>`);
  add(
    4,
    `<ozkit:guest xmlns:ozkit='${OZKIT_NS}'><ozkit:owner host='${esc(options.owner.host)}' pid='${options.owner.pid}' started='${esc(options.owner.startedAt)}'/></ozkit:guest>`,
  );
  add(2, `</metadata>`);
  add(2, `<memory unit='MiB'>${guest.memoryMiB}</memory>`);
  add(2, `<vcpu>${guest.cpus}</vcpu>`);
  add(2, `<os>`);
  add(4, `<type arch='${esc(guest.arch)}'${machine ? ` machine='${esc(machine)}'` : ''}>hvm</type>`);
  if (uefi) {
    add(4, `<loader readonly='yes' type='pflash'>${esc(files.uefi!.code)}</loader>`);
    add(4, `<nvram>${esc(files.uefi!.vars)}</nvram>`);
  }
  if (guest.kernel && files.kernel) {
    add(4, `<kernel>${esc(files.kernel.kernel)}</kernel>`);
    add(4, `<initrd>${esc(files.kernel.initrd)}</initrd>`);
    add(4, `<cmdline>${esc(guest.kernel.append)}</cmdline>`);
  } else {
    const boot = guest.boot ?? (guest.cdrom !== undefined ? 'cdrom' : 'disk');
    add(4, `<boot dev='${boot === 'cdrom' ? 'cdrom' : 'hd'}'/>`);
  }
  add(2, `</os>`);
  add(2, `<features><acpi/>${guest.arch === 'x86_64' || guest.arch === 'i386' ? '<apic/>' : ''}</features>`);
  if (options.type === 'kvm') add(2, `<cpu mode='host-passthrough'/>`);
  add(2, `<on_poweroff>destroy</on_poweroff>`);
  add(2, `<on_reboot>${guest.rebootEndsGuest ? 'destroy' : 'restart'}</on_reboot>`);
  add(2, `<on_crash>destroy</on_crash>`);
  add(2, `<devices>`);
  const names = { virtio: 0, ide: 0 };
  guest.disks.forEach((disk, i) => {
    const file = files.disks[i];
    const target = disk.bus === 'ide' ? `hd${letter(names.ide++)}` : `vd${letter(names.virtio++)}`;
    // As QEMU direct runs it: writeback cache, TRIM passed through and zero writes unmapped.
    const discard = disk.discard !== false ? ` discard='unmap' detect_zeroes='unmap'` : '';
    add(4, `<disk type='file' device='disk'>`);
    add(6, `<driver name='qemu' type='${file.format}' cache='${disk.cache ?? 'writeback'}'${discard}/>`);
    add(6, `<source file='${esc(file.path)}'/>`);
    add(6, `<target dev='${target}' bus='${disk.bus}'/>`);
    if (disk.readonly) add(6, `<readonly/>`);
    add(4, `</disk>`);
  });
  if (files.cdrom !== undefined) {
    // IDE hdc, as QEMU's -cdrom is on the pc machine (hda/hdb may be IDE disks).
    add(4, `<disk type='file' device='cdrom'>`);
    add(6, `<driver name='qemu' type='${files.cdromFormat ?? 'raw'}'/>`);
    add(6, `<source file='${esc(files.cdrom)}'/>`);
    add(6, `<target dev='${cdBus === 'ide' ? 'hdc' : 'sdc'}' bus='${cdBus}'/>`);
    add(6, `<readonly/>`);
    add(4, `</disk>`);
  }
  if (guest.network !== false && options.bridge) {
    add(4, `<interface type='bridge'><source bridge='${esc(options.bridge)}'/><model type='${nicModel(guest)}'/></interface>`);
  }
  add(4, `<serial type='file'><source path='${esc(files.consoleLog)}' append='off'/><target port='0'/></serial>`);
  // No <graphics>: nothing listens on a port; `virsh screenshot` still reads the VGA device.
  add(4, `<video><model type='vga'/></video>`);
  if (guest.arch === 'x86_64' || guest.arch === 'i386') add(4, `<panic model='isa'/>`);
  add(4, `<memballoon model='none'/>`);
  // Entropy at once: sshd and systemd otherwise wait for the guest's own pool under TCG.
  add(4, `<rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>`);
  add(2, `</devices>`);
  if (options.runAs) {
    add(2, `<seclabel type='static' model='dac' relabel='no'><label>+${options.runAs.uid}:+${options.runAs.gid}</label></seclabel>`);
  }
  const qemuArgs = [...userNetworkArgs(guest, options), ...(guest.qemuArgs ?? [])];
  if (qemuArgs.length) {
    add(2, `<qemu:commandline>`);
    for (const arg of qemuArgs) add(4, `<qemu:arg value='${esc(arg)}'/>`);
    add(2, `</qemu:commandline>`);
  }
  add(0, `</domain>`);
  return lines.join('\n') + '\n';
}

function userNetworkArgs(guest: GuestDescription, options: DomainXmlOptions): string[] {
  if (guest.network === false || options.bridge) return [];
  const forward = options.sshPort !== undefined ? `,hostfwd=tcp:127.0.0.1:${options.sshPort}-:22` : '';
  const args = ['-netdev', `user,id=${NETDEV_ID}${forward}`, '-device', `${qemuNicModel(guest)},netdev=${NETDEV_ID},bus=pci.0,addr=${NIC_PCI_ADDR}`];
  if (options.files.netDump) args.push('-object', `filter-dump,id=ozkitdump0,netdev=${NETDEV_ID},file=${qemuOptionValue(options.files.netDump)},maxlen=64`);
  return args;
}

function qemuNicModel(guest: GuestDescription): string {
  return (guest.network && guest.network.model) || DEFAULT_NIC_MODEL;
}

/** libvirt's model names for the NIC models QEMU takes. */
function nicModel(guest: GuestDescription): string {
  const model = qemuNicModel(guest);
  return model === 'virtio-net-pci' ? 'virtio' : model;
}

function letter(i: number): string {
  return String.fromCharCode('a'.charCodeAt(0) + i);
}

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&apos;').replace(/"/g, '&quot;');
}
