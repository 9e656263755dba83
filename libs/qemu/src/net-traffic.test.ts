import { describe, expect, test } from 'vitest';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NetTrafficCounter } from './net-traffic.js';

function header(): Buffer {
  const b = Buffer.alloc(24);
  b.writeUInt32LE(0xa1b2c3d4, 0);
  b.writeUInt16LE(2, 4);
  b.writeUInt16LE(4, 6);
  b.writeUInt32LE(14, 16);
  b.writeUInt32LE(1, 20);
  return b;
}
function record(original: number, included = Math.min(14, original)): Buffer {
  const b = Buffer.alloc(16 + included, 0xab);
  b.writeUInt32LE(1, 0);
  b.writeUInt32LE(0, 4);
  b.writeUInt32LE(included, 8);
  b.writeUInt32LE(original, 12);
  return b;
}

describe('NetTrafficCounter', () => {
  test('sums original packet lengths across reads that split records anywhere', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'net-'));
    try {
      const file = join(dir, 'net.pcap');
      const counter = new NetTrafficCounter(file);
      expect(await counter.read()).toBe(0); // not created yet
      const all = Buffer.concat([header(), record(1514), record(60), record(342), record(1514)]);
      writeFileSync(file, all.subarray(0, 10));
      expect(await counter.read()).toBe(0);
      appendFileSync(file, all.subarray(10, 24 + 30 + 7));
      expect(await counter.read()).toBe(1514);
      appendFileSync(file, all.subarray(24 + 30 + 7));
      expect(await counter.read()).toBe(1514 + 60 + 342 + 1514);
      expect(counter.packets).toBe(4);
      await counter.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('refuses a file that is not pcap', () => {
    const counter = new NetTrafficCounter('/x');
    expect(() => counter.consume(Buffer.alloc(40, 1))).toThrow(/not a pcap file/);
  });
});
