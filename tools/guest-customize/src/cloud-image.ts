import type { Disk, ImageProperties, Inventory, OutputFormat, Template } from '@ozkit/build-document';
import { openstackImageProperties } from '@ozkit/os-catalog';
import { DEFAULT_NIC_MODEL, defaultMachineType } from '@ozkit/vm';
import { GLANCE_DISK_FORMATS } from './output-format.js';
import { shellQuote } from './shell-quote.js';

/** The agent package has this name in Debian, Ubuntu, Fedora, RHEL and SUSE alike. */
const GUEST_AGENT_PACKAGE = 'qemu-guest-agent';

/** Installed, not merely known to dpkg (rc: removed, its config kept). */
function installed(inventory: Inventory, name: string): boolean {
  return inventory.packages.some((p) => p.name === name && (p.status === undefined || p.status.startsWith('i') || p.status.startsWith('h')));
}

/** The image's OpenStack properties from what this build saw: the guest's os-release, the disk, the machine it ran on, the packages. */
export function imagePropertiesFor(facts: { template: Template; disk: Disk; guest: { id: string; versionId?: string }; inventory: Inventory }): ImageProperties {
  const arch = facts.template.os.arch;
  return openstackImageProperties({
    osReleaseId: facts.guest.id,
    version: facts.guest.versionId ?? facts.template.os.version,
    arch,
    diskBus: facts.disk.bus,
    // guest-install and guest-customize boot with the backend's default NIC and machine.
    nicModel: DEFAULT_NIC_MODEL,
    firmware: facts.disk.firmware ?? 'bios',
    machine: defaultMachineType(arch) ?? 'pc',
    guestAgent: installed(facts.inventory, GUEST_AGENT_PACKAGE),
  });
}

/** The `openstack image create` line that uploads the image with its properties (the upload itself is the user's). */
export function openstackCreateCommand(image: { path: string; format: OutputFormat; properties: ImageProperties }, name: string): string {
  const words = ['openstack', 'image', 'create', '--disk-format', GLANCE_DISK_FORMATS[image.format], '--container-format', 'bare', '--file', image.path];
  for (const [key, value] of Object.entries(image.properties)) words.push('--property', `${key}=${value}`);
  words.push(name);
  return words.map(shellQuote).join(' ');
}
