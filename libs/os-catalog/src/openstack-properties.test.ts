import { describe, expect, it } from 'vitest';
import { openstackImageProperties, type ImageFacts } from './index.js';

const debian: ImageFacts = {
  osReleaseId: 'debian',
  version: '12',
  arch: 'x86_64',
  diskBus: 'virtio',
  nicModel: 'virtio-net-pci',
  firmware: 'bios',
  machine: 'pc',
  guestAgent: false,
};

describe('openstackImageProperties', () => {
  it('describes a Debian 12 image built on virtio, BIOS and the pc machine', () => {
    expect(openstackImageProperties(debian)).toEqual({
      os_distro: 'debian',
      os_version: '12',
      architecture: 'x86_64',
      hw_disk_bus: 'virtio',
      hw_vif_model: 'virtio',
      hw_firmware_type: 'bios',
      hw_machine_type: 'pc',
    });
  });

  it('asks for the guest agent and quiescing only when the agent is installed', () => {
    const props = openstackImageProperties({ ...debian, guestAgent: true, firmware: 'uefi' });
    expect(props).toMatchObject({ hw_qemu_guest_agent: 'yes', os_require_quiesce: 'yes', hw_firmware_type: 'uefi' });
  });

  it("speaks libosinfo's vocabulary: opensuse for Leap, i686 for i386, IDE and e1000 for old guests", () => {
    const props = openstackImageProperties({ ...debian, osReleaseId: 'opensuse-leap', version: '15.5', arch: 'i386', diskBus: 'ide', nicModel: 'e1000' });
    expect(props).toMatchObject({ os_distro: 'opensuse', os_version: '15.5', architecture: 'i686', hw_disk_bus: 'ide', hw_vif_model: 'e1000' });
    expect(openstackImageProperties({ ...debian, osReleaseId: 'rhel', version: '9.4', arch: 'aarch64', machine: 'virt' })).toMatchObject({
      os_distro: 'rhel',
      architecture: 'aarch64',
      hw_machine_type: 'virt',
    });
  });

  it('leaves os_version out when the build does not know it', () => {
    expect(openstackImageProperties({ ...debian, version: undefined })).not.toHaveProperty('os_version');
  });
});
