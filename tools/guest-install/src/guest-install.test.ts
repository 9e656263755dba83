import { describe, expect, test } from 'vitest';
import { jeosKey } from './jeos-cache.js';

// The disk bus per OS is the OS catalog's: libs/os-catalog/src/disk-bus.test.ts.

describe('jeosKey', () => {
  const parts = {
    mediaSha256: 'a'.repeat(64),
    answerStableSha256: 'b'.repeat(64),
    sizeBytes: 10 << 30,
    format: 'qcow2' as const,
    bus: 'virtio' as const,
    firmware: 'bios' as const,
    arch: 'x86_64',
    toolVersion: '0.1.0',
  };
  test('is stable and changes with every part', () => {
    expect(jeosKey(parts)).toBe(jeosKey({ ...parts }));
    expect(jeosKey(parts)).toMatch(/^[0-9a-f]{64}$/);
    for (const change of [
      { mediaSha256: 'c'.repeat(64) },
      { answerStableSha256: 'd' },
      { sizeBytes: 1 },
      { format: 'raw' as const },
      { toolVersion: '0.2.0' },
      { bus: 'ide' as const },
    ]) {
      expect(jeosKey({ ...parts, ...change })).not.toBe(jeosKey(parts));
    }
  });
});
