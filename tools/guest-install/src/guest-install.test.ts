import { describe, expect, test } from 'vitest';
import { chooseDiskBus } from './guest-install.js';
import { jeosKey } from './jeos-cache.js';

describe('chooseDiskBus', () => {
  test('virtio by default, IDE for guests without virtio drivers, a forced bus as given', () => {
    expect(chooseDiskBus('auto', { name: 'Debian', version: '12' })).toBe('virtio');
    expect(chooseDiskBus('auto', { name: 'RHEL', version: '4' })).toBe('ide');
    expect(chooseDiskBus('auto', { name: 'Windows', version: '10' })).toBe('ide');
    expect(chooseDiskBus('ide', { name: 'Debian', version: '12' })).toBe('ide');
  });
});

describe('jeosKey', () => {
  const parts = { mediaSha256: 'a'.repeat(64), answerStableSha256: 'b'.repeat(64), sizeBytes: 10 << 30, format: 'qcow2' as const, bus: 'virtio' as const, firmware: 'bios' as const, arch: 'x86_64', toolVersion: '0.1.0' };
  test('is stable and changes with every part', () => {
    expect(jeosKey(parts)).toBe(jeosKey({ ...parts }));
    expect(jeosKey(parts)).toMatch(/^[0-9a-f]{64}$/);
    for (const change of [{ mediaSha256: 'c'.repeat(64) }, { answerStableSha256: 'd' }, { sizeBytes: 1 }, { format: 'raw' as const }, { toolVersion: '0.2.0' }, { bus: 'ide' as const }]) {
      expect(jeosKey({ ...parts, ...change })).not.toBe(jeosKey(parts));
    }
  });
});
