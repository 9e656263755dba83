import { open, type FileHandle } from 'node:fs/promises';

/**
 * Counts the guest's network bytes from the pcap file QEMU's `filter-dump` writes for the
 * user-mode netdev (QMP has no byte counters for it). Only headers are captured (small
 * snap length); each record's original length is what was on the wire.
 */
export class NetTrafficCounter {
  readonly path: string;
  private handle: FileHandle | undefined;
  private offset = 0;
  private carry = Buffer.alloc(0);
  private littleEndian: boolean | undefined;
  private busy: Promise<number> | undefined;
  bytes = 0;
  packets = 0;

  constructor(path: string) {
    this.path = path;
  }

  /** Reads new records; returns the total bytes seen so far. */
  read(): Promise<number> {
    this.busy = (this.busy ?? Promise.resolve(0)).then(() => this.readMore()).catch(() => this.bytes);
    return this.busy;
  }

  async close(): Promise<void> {
    await this.busy?.catch(() => undefined);
    await this.handle?.close().catch(() => undefined);
    this.handle = undefined;
  }

  private async readMore(): Promise<number> {
    if (!this.handle) {
      try {
        this.handle = await open(this.path, 'r');
      } catch {
        return this.bytes;
      }
    }
    const chunk = Buffer.allocUnsafe(256 * 1024);
    for (;;) {
      const { bytesRead } = await this.handle.read(chunk, 0, chunk.length, this.offset);
      if (bytesRead === 0) break;
      this.offset += bytesRead;
      this.consume(Buffer.concat([this.carry, chunk.subarray(0, bytesRead)]));
    }
    return this.bytes;
  }

  /** Parses whole records from `data`, keeping an incomplete tail for next time. */
  consume(data: Buffer): void {
    let pos = 0;
    if (this.littleEndian === undefined) {
      if (data.length < 24) {
        this.carry = Buffer.from(data);
        return;
      }
      const magic = data.readUInt32LE(0);
      if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) this.littleEndian = true;
      else if (data.readUInt32BE(0) === 0xa1b2c3d4 || data.readUInt32BE(0) === 0xa1b23c4d) this.littleEndian = false;
      else throw new Error(`${this.path}: not a pcap file`);
      pos = 24;
    }
    const le = this.littleEndian;
    while (data.length - pos >= 16) {
      const included = le ? data.readUInt32LE(pos + 8) : data.readUInt32BE(pos + 8);
      const original = le ? data.readUInt32LE(pos + 12) : data.readUInt32BE(pos + 12);
      if (data.length - pos < 16 + included) break;
      this.bytes += original;
      this.packets++;
      pos += 16 + included;
    }
    this.carry = Buffer.from(data.subarray(pos));
  }
}
