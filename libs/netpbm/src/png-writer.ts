import { createDeflate, crc32, constants as zlibConstants, type Deflate } from 'node:zlib';

/** Where PNG bytes go; resolves when the bytes are accepted (backpressure). */
export type ByteSink = (bytes: Buffer) => Promise<void>;

export interface PngHeaderFields {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  /** PLTE entries, 3 bytes each. */
  palette?: Uint8Array;
  /** sBIT value per channel. */
  significantBits?: number[];
}

export interface PngWriterOptions {
  /** zlib level 0–9. */
  level: number;
  /** zlib strategy (Z_DEFAULT_STRATEGY, Z_FILTERED, Z_RLE…). */
  strategy?: number;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Filtered rows are handed to zlib in batches of about this size. */
const BATCH_BYTES = 256 * 1024;

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/**
 * A streaming PNG encoder: the header chunks, then filtered rows deflated as they come and
 * framed into IDAT chunks, then IEND. Holds one batch of rows, never the image.
 */
export class PngWriter {
  private deflate: Deflate;
  private batch: Buffer;
  private batchLength = 0;
  private pending: Promise<void> = Promise.resolve();
  private failure: unknown;
  private finished: Promise<void>;

  constructor(
    private readonly sink: ByteSink,
    options: PngWriterOptions,
  ) {
    this.deflate = createDeflate({
      level: options.level,
      strategy: options.strategy ?? zlibConstants.Z_DEFAULT_STRATEGY,
      memLevel: 9,
      chunkSize: 64 * 1024,
    });
    this.batch = Buffer.allocUnsafe(BATCH_BYTES);
    // IDAT chunks are written in order, each after the sink took the previous one.
    this.deflate.on('data', (data: Buffer) => {
      this.deflate.pause();
      this.pending = this.pending
        .then(() => this.sink(chunk('IDAT', data)))
        .then(
          () => void this.deflate.resume(),
          (error) => {
            this.failure ??= error;
            this.deflate.destroy();
          },
        );
    });
    this.finished = new Promise<void>((resolve, reject) => {
      this.deflate.on('end', () => resolve());
      this.deflate.on('error', (error) => reject(error));
      this.deflate.on('close', () => {
        if (this.failure) reject(this.failure);
      });
    });
    this.finished.catch(() => {});
  }

  async writeHeader(fields: PngHeaderFields): Promise<void> {
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(fields.width, 0);
    ihdr.writeUInt32BE(fields.height, 4);
    ihdr[8] = fields.bitDepth;
    ihdr[9] = fields.colorType;
    const parts = [SIGNATURE, chunk('IHDR', ihdr)];
    if (fields.significantBits) parts.push(chunk('sBIT', Uint8Array.from(fields.significantBits)));
    if (fields.palette) parts.push(chunk('PLTE', fields.palette));
    await this.sink(Buffer.concat(parts));
  }

  /** Space for the next filtered row (filter byte + data) of `length` bytes; call `commitRow` after filling it. */
  rowBuffer(length: number): Buffer {
    if (this.batchLength + length > this.batch.length) {
      // Rows are all one length and commitRow flushes ahead, so this only happens for a first row larger than a batch.
      const grown = Buffer.allocUnsafe(this.batchLength + length);
      this.batch.copy(grown, 0, 0, this.batchLength);
      this.batch = grown;
    }
    return this.batch.subarray(this.batchLength, this.batchLength + length);
  }

  /** Commits a row filled through `rowBuffer`; flushes the batch to zlib when full. */
  async commitRow(length: number): Promise<void> {
    this.batchLength += length;
    if (this.batchLength + length > this.batch.length) await this.flushBatch();
  }

  private async flushBatch(): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.batchLength === 0) return;
    // zlib may keep a reference to the buffer until it has consumed it: hand over this one, fill a new one.
    const data = this.batch.subarray(0, this.batchLength);
    this.batch = Buffer.allocUnsafe(this.batch.length);
    this.batchLength = 0;
    if (!this.deflate.write(data)) {
      await new Promise<void>((resolve, reject) => {
        const onDrain = () => {
          this.deflate.off('close', onClose);
          resolve();
        };
        const onClose = () => {
          this.deflate.off('drain', onDrain);
          reject(this.failure ?? new Error('deflate stream closed'));
        };
        this.deflate.once('drain', onDrain);
        this.deflate.once('close', onClose);
      });
    }
    if (this.failure) throw this.failure;
  }

  async end(): Promise<void> {
    await this.flushBatch();
    this.deflate.end();
    await this.finished;
    await this.pending;
    if (this.failure) throw this.failure;
    await this.sink(chunk('IEND', new Uint8Array(0)));
  }

  /** Stops without finishing (on an error elsewhere). */
  abort(): void {
    this.deflate.destroy();
  }
}
