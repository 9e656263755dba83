import type { ImageProperties } from '@ozkit/build-document';

/** What a build knows about the image it made, for the cloud that will run it. */
export interface ImageFacts {
  /** The guest's os-release ID (debian, rhel, opensuse-leap, …). */
  osReleaseId: string;
  /** The guest's os-release VERSION_ID, else the TDL's version. */
  version?: string;
  /** The TDL's architecture (ozkit's names). */
  arch: string;
  diskBus: 'virtio' | 'ide';
  /** QEMU's NIC model the guest was built with (virtio-net-pci unless an old guest needed another). */
  nicModel: string;
  firmware: 'bios' | 'uefi';
  /** The QEMU machine type the guest was built on. */
  machine: string;
  /** qemu-guest-agent is installed (from the package inventory). */
  guestAgent: boolean;
}

/** os-release IDs whose libosinfo short name (Glance's os_distro vocabulary) differs. */
const OS_DISTRO_BY_ID: Record<string, string> = {
  'opensuse-leap': 'opensuse',
  'opensuse-tumbleweed': 'opensuse',
  opensuse: 'opensuse',
  sled: 'sled',
  sles: 'sles',
  ol: 'ol',
  rocky: 'rocky',
  almalinux: 'almalinux',
};

/** ozkit's architecture names that libosinfo (and so Glance) spells differently. */
const ARCHITECTURE_BY_ARCH: Record<string, string> = { i386: 'i686' };

/** QEMU NIC models to the names Nova's libvirt driver takes for hw_vif_model. */
const VIF_MODEL_BY_NIC: Record<string, string> = {
  'virtio-net-pci': 'virtio',
  'virtio-net': 'virtio',
  e1000: 'e1000',
  rtl8139: 'rtl8139',
  ne2k_pci: 'ne2k_pci',
  pcnet: 'pcnet',
};

/**
 * The OpenStack image properties for an image built as `facts` says: the same disk bus, NIC,
 * firmware and machine the guest was installed and customized on (an image whose initramfs
 * only knows virtio must not be booted on IDE), and the guest agent only when it is there.
 */
export function openstackImageProperties(facts: ImageFacts): ImageProperties {
  return {
    os_distro: OS_DISTRO_BY_ID[facts.osReleaseId] ?? facts.osReleaseId,
    ...(facts.version ? { os_version: facts.version } : {}),
    architecture: ARCHITECTURE_BY_ARCH[facts.arch] ?? facts.arch,
    hw_disk_bus: facts.diskBus,
    hw_vif_model: VIF_MODEL_BY_NIC[facts.nicModel] ?? facts.nicModel,
    hw_firmware_type: facts.firmware,
    ...(facts.guestAgent ? { hw_qemu_guest_agent: 'yes' as const, os_require_quiesce: 'yes' as const } : {}),
    hw_machine_type: facts.machine,
  };
}
