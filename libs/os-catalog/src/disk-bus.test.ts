import { describe, expect, test } from 'vitest';
import { diskBusFor } from './disk-bus.js';

describe('diskBusFor', () => {
  test('virtio by default, IDE for guests without virtio drivers, a forced bus as given', () => {
    expect(diskBusFor('auto', { name: 'Debian', version: '12' })).toBe('virtio');
    expect(diskBusFor('auto', { name: 'RHEL', version: '4' })).toBe('ide');
    expect(diskBusFor('auto', { name: 'Windows', version: '10' })).toBe('ide');
    expect(diskBusFor('ide', { name: 'Debian', version: '12' })).toBe('ide');
  });
  test('the old releases of each family', () => {
    expect(diskBusFor('auto', { name: 'Debian', version: '4' })).toBe('ide');
    expect(diskBusFor('auto', { name: 'Ubuntu', version: '7.10' })).toBe('ide');
    expect(diskBusFor('auto', { name: 'Ubuntu', version: '8.04' })).toBe('virtio');
    expect(diskBusFor('auto', { name: 'Fedora', version: '7' })).toBe('ide');
    expect(diskBusFor('auto', { name: 'CentOS', version: '5' })).toBe('virtio');
    expect(diskBusFor('virtio', { name: 'Windows', version: '10' })).toBe('virtio');
  });
});
