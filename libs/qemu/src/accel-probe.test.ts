import { describe, expect, test } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeAccel, probeBootSector } from './accel-probe.js';

describe('probeAccel', () => {
  test('a forced accelerator is taken as is', async () => {
    expect(await probeAccel('tcg')).toMatchObject({ accel: 'tcg', reason: 'forced' });
    expect(await probeAccel('kvm')).toMatchObject({ accel: 'kvm', reason: 'forced' });
  });

  test('a foreign architecture never gets KVM', async () => {
    expect(await probeAccel('auto', undefined, { arch: 's390x' })).toMatchObject({ accel: 'tcg' });
  });

  test('the boot sector is a valid MBR that writes to isa-debug-exit', () => {
    const s = probeBootSector();
    expect(s.length).toBe(512);
    expect(s.readUInt16LE(510)).toBe(0xaa55);
    expect([...s.subarray(0, 4)]).toEqual([0xb0, 0x2a, 0xe6, 0xf4]);
  });

  // The real probe on this host: KVM either runs the probe guest or is reported unusable; the
  // verdict is cached per boot and the second call is instant.
  test('auto probes for real, within the deadline, and caches the verdict', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'probe-'));
    try {
      const started = Date.now();
      const first = await probeAccel('auto', undefined, { cacheDir: dir, timeoutMs: 3000 });
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(['kvm', 'tcg']).toContain(first.accel);
      expect(first.reason.length).toBeGreaterThan(5);
      if (existsSync('/dev/kvm')) {
        expect(first.cached).toBe(false);
        expect(JSON.parse(readFileSync(join(dir, 'accel-probe.json'), 'utf8')).accel).toBe(first.accel);
        const second = await probeAccel('auto', undefined, { cacheDir: dir });
        expect(second).toMatchObject({ accel: first.accel, cached: true });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
