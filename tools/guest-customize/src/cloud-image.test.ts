import { describe, expect, it } from 'vitest';
import type { Disk, Inventory, Template } from '@ozkit/build-document';
import { imagePropertiesFor, openstackCreateCommand } from './cloud-image.js';

const template = { name: 'web server', os: { name: 'Debian', version: '12', arch: 'x86_64' } } as unknown as Template;
const disk = { bus: 'virtio', firmware: 'uefi' } as Disk;
const inventory = (packages: { name: string; status?: string }[]): Inventory => ({
  format: 'deb',
  collectedAt: '2026-01-01T00:00:00Z',
  packages: packages.map((p) => ({ version: '1', arch: 'amd64', ...p })),
});

describe('image properties and the openstack line', () => {
  it('come from the guest, the disk, the machine and the packages', () => {
    const props = imagePropertiesFor({
      template,
      disk,
      guest: { id: 'debian', versionId: '12' },
      inventory: inventory([{ name: 'qemu-guest-agent', status: 'ii' }]),
    });
    expect(props).toEqual({
      os_distro: 'debian',
      os_version: '12',
      architecture: 'x86_64',
      hw_disk_bus: 'virtio',
      hw_vif_model: 'virtio',
      hw_firmware_type: 'uefi',
      hw_qemu_guest_agent: 'yes',
      os_require_quiesce: 'yes',
      hw_machine_type: 'pc',
    });
  });

  it('claim no guest agent when it is absent or only its configuration is left (dpkg rc)', () => {
    for (const packages of [[], [{ name: 'qemu-guest-agent', status: 'rc' }]]) {
      const props = imagePropertiesFor({ template, disk: { ...disk, firmware: undefined }, guest: { id: 'debian' }, inventory: inventory(packages) });
      expect(props).not.toHaveProperty('hw_qemu_guest_agent');
      expect(props).not.toHaveProperty('os_require_quiesce');
      expect(props.hw_firmware_type).toBe('bios');
      expect(props.os_version).toBe('12');
    }
  });

  it('prints a quoted command line with the disk format Glance knows (vpc is vhd)', () => {
    const properties = imagePropertiesFor({ template, disk, guest: { id: 'debian', versionId: '12' }, inventory: inventory([]) });
    expect(openstackCreateCommand({ path: '/w/web server-customized.vhd', format: 'vpc', properties }, template.name)).toBe(
      "openstack image create --disk-format vhd --container-format bare --file '/w/web server-customized.vhd' --property os_distro=debian --property os_version=12" +
        ' --property architecture=x86_64 --property hw_disk_bus=virtio --property hw_vif_model=virtio --property hw_firmware_type=uefi --property hw_machine_type=pc' +
        " 'web server'",
    );
  });
});
