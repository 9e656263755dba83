import { describe, expect, test } from 'vitest';
import { ActivityWatchdog, type ActivityReading } from './activity-watchdog.js';

// Readings as QMP/pcap reported them for the tiny guest: a boot, a 2 MiB write,
// then silence (only its 3 write ops ever), sampled every ~0.5 s.
const observed: ActivityReading[] = [
  { t: 0.5, diskReadOps: 0, diskWriteOps: 0, diskWriteBytes: 0, netBytes: 0 },
  { t: 4.1, diskReadOps: 0, diskWriteOps: 0, diskWriteBytes: 0, netBytes: 0 },
  { t: 8.9, diskReadOps: 0, diskWriteOps: 0, diskWriteBytes: 0, netBytes: 0 },
  { t: 9.4, diskReadOps: 1, diskWriteOps: 3, diskWriteBytes: 2097152, netBytes: 0 },
  { t: 9.9, diskReadOps: 1, diskWriteOps: 3, diskWriteBytes: 2097152, netBytes: 0 },
];
const idleFrom = (t0: number, until: number, step = 0.5) => {
  const out: ActivityReading[] = [];
  for (let t = t0; t <= until + 1e-9; t += step) out.push({ t, diskReadOps: 1, diskWriteOps: 3, diskWriteBytes: 2097152, netBytes: 0 });
  return out;
};

describe('ActivityWatchdog', () => {
  test('idle time is measured in real seconds from the last active reading, not in samples', () => {
    const w = new ActivityWatchdog({ inactivitySeconds: 20 });
    for (const r of observed) w.feed(r);
    for (const r of idleFrom(9.9, 28.9)) w.feed(r);
    expect(w.idleSeconds()).toBeCloseTo(19.5, 5);
    expect(w.inactive).toBe(false);
    w.feed(idleFrom(29.4, 29.4)[0]);
    expect(w.inactive).toBe(true);
  });

  test('sparse sampling (Oz samples every 10 s) still means the same seconds', () => {
    const w = new ActivityWatchdog({ inactivitySeconds: 30 });
    for (const r of observed) w.feed(r);
    for (const r of idleFrom(19.9, 39.9, 10)) w.feed(r);
    expect(w.inactive).toBe(true);
    expect(w.idleSeconds()).toBeCloseTo(30.5, 5);
  });

  test('disk reads or writes and real network traffic each reset the clock', () => {
    const base = { diskReadOps: 1, diskWriteOps: 3, diskWriteBytes: 2097152, netBytes: 1000 };
    const cases: Partial<ActivityReading>[] = [{ diskWriteOps: 4 }, { diskReadOps: 2 }, { netBytes: 1000 + 10 * 600 }];
    for (const change of cases) {
      const w = new ActivityWatchdog({ inactivitySeconds: 5 });
      w.feed({ t: 0, ...base });
      w.feed({ t: 4, ...base });
      expect(w.feed({ t: 14, ...base, ...change })).toBe(true);
      expect(w.idleSeconds()).toBe(0);
    }
  });

  test('a trickle of network packets (ARP, DHCP renewals) does not count as activity', () => {
    const w = new ActivityWatchdog({ inactivitySeconds: 5 });
    const base = { diskReadOps: 1, diskWriteOps: 3, diskWriteBytes: 0 };
    w.feed({ t: 0, ...base, netBytes: 0 });
    expect(w.feed({ t: 2, ...base, netBytes: 342 })).toBe(false);
    expect(w.feed({ t: 6, ...base, netBytes: 342 + 60 * 4 })).toBe(false);
    expect(w.inactive).toBe(true);
  });

  test('keeps only the last samples for the failure report', () => {
    const w = new ActivityWatchdog({ inactivitySeconds: 5, keepSamples: 4 });
    for (const r of [...observed, ...idleFrom(10.4, 12)]) w.feed(r);
    const recent = w.recent();
    expect(recent).toHaveLength(4);
    expect(recent[3]).toEqual({ t: 11.9, diskWriteBytes: 2097152, diskWriteOps: 3, netBytes: 0 });
  });
});
