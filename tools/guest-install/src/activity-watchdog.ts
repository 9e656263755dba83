import type { WatchdogSample } from '@ozkit/build-document';

/** One reading of the VM's counters (cumulative since QEMU started). */
export interface ActivityReading {
  /** Seconds since the install started. */
  t: number;
  diskReadOps: number;
  diskWriteOps: number;
  diskWriteBytes: number;
  netBytes?: number;
}

export interface WatchdogOptions {
  /** Fail after this many real seconds without activity. */
  inactivitySeconds: number;
  /** Less network traffic than this per second counts as idle (keep-alives, ARP, DHCP). Default 512. */
  netIdleBytesPerSecond?: number;
  /** Samples kept for the failure report. Default 30. */
  keepSamples?: number;
}

/**
 * Decides "no disk I/O and little network traffic for N real seconds" from cumulative
 * counters. Time comes from the readings themselves, not from counting samples (Oz counted
 * samples taken every 10 s as seconds, so its 300 s meant ~3000 s). Console output does not
 * count: d-i on a serial console redraws a clock every minute while it waits for an answer.
 */
export class ActivityWatchdog {
  private readonly options: Required<WatchdogOptions>;
  private readonly samples: WatchdogSample[] = [];
  private previous: ActivityReading | undefined;
  private lastActiveT = 0;

  constructor(options: WatchdogOptions) {
    this.options = { netIdleBytesPerSecond: 512, keepSamples: 30, ...options };
  }

  /** Records a reading; returns true when there was activity since the previous one. */
  feed(reading: ActivityReading): boolean {
    const prev = this.previous;
    this.previous = reading;
    this.samples.push({
      t: Math.round(reading.t * 10) / 10,
      diskWriteBytes: reading.diskWriteBytes,
      diskWriteOps: reading.diskWriteOps,
      ...(reading.netBytes !== undefined ? { netBytes: reading.netBytes } : {}),
    });
    if (this.samples.length > this.options.keepSamples) this.samples.shift();
    if (!prev) {
      this.lastActiveT = reading.t;
      return true;
    }
    const dt = Math.max(reading.t - prev.t, 0.001);
    const diskActive = reading.diskWriteOps !== prev.diskWriteOps || reading.diskReadOps !== prev.diskReadOps;
    const netDelta = reading.netBytes !== undefined && prev.netBytes !== undefined ? reading.netBytes - prev.netBytes : 0;
    const netActive = netDelta >= this.options.netIdleBytesPerSecond * dt;
    if (diskActive || netActive) {
      this.lastActiveT = reading.t;
      return true;
    }
    return false;
  }

  /** Seconds since the last reading that showed activity. */
  idleSeconds(): number {
    return this.previous ? this.previous.t - this.lastActiveT : 0;
  }

  get inactive(): boolean {
    return this.idleSeconds() >= this.options.inactivitySeconds;
  }

  /** The kept samples, oldest first (for `failure.watchdog`). */
  recent(): WatchdogSample[] {
    return [...this.samples];
  }
}
