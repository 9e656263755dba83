import type { ByteSource } from './byte-source.js';

const WINDOW_BYTES = 1024 * 1024;

/** Sequential reads over a ByteSource through a window, so parsing works byte by byte without a syscall each. */
export class ByteReader {
  private window: Buffer;
  private windowStart = 0;
  private windowLength = 0;
  /** Absolute offset of the next byte. */
  position = 0;

  constructor(readonly source: ByteSource) {
    this.window = Buffer.allocUnsafe(Math.min(WINDOW_BYTES, Math.max(16, source.size)));
  }

  get size(): number {
    return this.source.size;
  }

  get atEnd(): boolean {
    return this.position >= this.source.size;
  }

  seek(position: number): void {
    this.position = position;
  }

  /** The next byte, or -1 at the end. */
  peek(): number {
    const i = this.position - this.windowStart;
    if (i >= 0 && i < this.windowLength) return this.window[i];
    if (this.position >= this.source.size) return -1;
    this.fill(this.position, 1);
    return this.window[0];
  }

  /** Reads one byte, or -1 at the end. */
  next(): number {
    const b = this.peek();
    if (b >= 0) this.position++;
    return b;
  }

  /**
   * The next `length` bytes (fewer at the end of the input), as a view that stays valid only
   * until the next read.
   */
  take(length: number): Buffer {
    const start = this.position - this.windowStart;
    if (start < 0 || start + length > this.windowLength) this.fill(this.position, length);
    const from = this.position - this.windowStart;
    const n = Math.min(length, this.windowLength - from);
    this.position += n;
    return this.window.subarray(from, from + n);
  }

  private fill(position: number, atLeast: number): void {
    if (atLeast > this.window.length) this.window = Buffer.allocUnsafe(atLeast);
    const want = Math.min(this.window.length, Math.max(atLeast, WINDOW_BYTES));
    this.windowStart = position;
    this.windowLength = this.source.readInto(this.window, 0, want, position);
  }
}
