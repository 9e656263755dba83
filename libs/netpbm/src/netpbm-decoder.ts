import { OzkitError } from '@ozkit/errors';
import type { ByteReader } from './byte-reader.js';

export type NetpbmFormat = 'P1' | 'P2' | 'P3' | 'P4' | 'P5' | 'P6';

export interface NetpbmHeader {
  format: NetpbmFormat;
  kind: 'pbm' | 'pgm' | 'ppm';
  /** P1–P3: samples as ASCII numbers. */
  plain: boolean;
  width: number;
  height: number;
  /** 1 for PBM. */
  maxval: number;
  channels: 1 | 3;
  /** 0 for the first image of a file, 1 for the next… */
  index: number;
  /** Byte offset of the magic number and of the first raster byte. */
  offset: number;
  rasterOffset: number;
  /** Raw formats: bytes per row of the raster. */
  rowBytes: number;
}

/** netpbm's limit for width and height (an int). */
const MAX_DIMENSION = 0x7fffffff;
/** A row needs a buffer; refuse headers that would need more than this for one row. */
const MAX_ROW_SAMPLES = 256 * 1024 * 1024;

const SPACE = 0x20,
  TAB = 0x09,
  LF = 0x0a,
  VT = 0x0b,
  FF = 0x0c,
  CR = 0x0d,
  HASH = 0x23,
  ZERO = 0x30,
  NINE = 0x39;

function isSpace(b: number): boolean {
  return b === SPACE || b === TAB || b === LF || b === CR || b === VT || b === FF;
}

/**
 * Reads netpbm images (P1–P6, one after another in one input) the way netpbm's libnetpbm
 * does: comments (`#` to the end of the line) anywhere whitespace may be, in the header and
 * in plain rasters; exactly one whitespace character between a raw header and its raster.
 */
export class NetpbmDecoder {
  private imageCount = 0;
  /** Where the last image's raster ends, once known. */
  private rasterEnd: number | undefined = 0;

  constructor(
    readonly reader: ByteReader,
    /** Names the input in messages: a path or `<stdin>`. */
    readonly label: string,
  ) {}

  /** The next image's header, or null when the input has no more images. */
  nextHeader(): NetpbmHeader | null {
    const reader = this.reader;
    if (this.rasterEnd === undefined) throw new Error('NetpbmDecoder: previous image was not read to its end');
    reader.seek(this.rasterEnd);
    if (this.imageCount > 0) {
      // Between images: whitespace, and (more lenient than netpbm) comments, as at the end of a plain raster.
      this.skipSpaceAndComments();
      if (reader.atEnd) return null;
    } else if (reader.size === 0) {
      throw this.error(0, 'empty input: no netpbm image', 'the file is empty; was the screenshot written completely?');
    }
    const offset = reader.position;
    const index = this.imageCount;
    const p = reader.next();
    const digit = reader.next();
    if (p !== 0x50 || digit < 0x31 || digit > 0x36) {
      if (index > 0)
        throw this.error(offset, `unexpected data after image ${index}: not the start of another netpbm image`, 'the file has trailing garbage or a damaged image');
      if (p === 0x50 && digit === 0x37) throw this.error(offset, 'PAM (P7) images are not supported; only PBM, PGM and PPM (P1–P6)');
      const other = p === 0x89 && digit === 0x50 ? 'PNG' : p === 0xff && digit === 0xd8 ? 'JPEG' : p === 0x42 && digit === 0x4d ? 'BMP' : undefined;
      throw this.error(
        offset,
        `not a netpbm image: bad magic number ${describeBytes(p, digit)} (expected P1–P6)`,
        other ? `this looks like a ${other} file already` : undefined,
      );
    }
    const format = `P${String.fromCharCode(digit)}` as NetpbmFormat;
    const kind = format === 'P1' || format === 'P4' ? 'pbm' : format === 'P2' || format === 'P5' ? 'pgm' : 'ppm';
    const plain = digit <= 0x33;
    const width = this.headerNumber('width', index);
    const height = this.headerNumber('height', index);
    let maxval = 1;
    if (kind !== 'pbm') {
      const at = reader.position;
      maxval = this.headerNumber('maxval', index);
      if (maxval === 0) throw this.error(at, `${imageWord(index)}maxval is 0 (must be 1..65535)`);
      if (maxval > 65535) throw this.error(at, `${imageWord(index)}maxval ${maxval} is larger than 65535`);
    }
    if (width === 0 || height === 0) throw this.error(offset, `${imageWord(index)}has zero ${width === 0 ? 'width' : 'height'} (${width}x${height})`);
    const channels = kind === 'ppm' ? 3 : 1;
    if (width * channels > MAX_ROW_SAMPLES) throw this.error(offset, `${imageWord(index)}width ${width} is too large to convert`);
    const rowBytes = kind === 'pbm' ? Math.ceil(width / 8) : width * channels * (maxval > 255 ? 2 : 1);
    const header: NetpbmHeader = {
      format,
      kind,
      plain,
      width,
      height,
      maxval,
      channels,
      index,
      offset,
      rasterOffset: reader.position,
      rowBytes,
    };
    if (!plain) {
      const need = rowBytes * height;
      const have = reader.size - header.rasterOffset;
      if (need > have)
        throw this.error(
          header.rasterOffset,
          `${imageWord(index)}truncated: the header says ${width}x${height}${kind === 'pbm' ? '' : ` maxval ${maxval}`}, which needs ${need} bytes of pixel data, but only ${have} follow`,
          'the image was cut short, or its header lies about its size',
          true,
        );
      this.rasterEnd = header.rasterOffset + need;
    } else {
      this.rasterEnd = undefined;
    }
    this.imageCount++;
    return header;
  }

  /** Positions the reader at the first row (for a second pass over the raster). */
  rewind(header: NetpbmHeader): void {
    this.reader.seek(header.rasterOffset);
  }

  /** Called after the last row of a pass: plain rasters learn where they end. */
  finishPass(): void {
    if (this.rasterEnd === undefined) this.rasterEnd = this.reader.position;
  }

  /**
   * The next raw row (P4–P6) as a view of the input bytes, valid until the next read.
   * Samples above maxval are refused, as netpbm does.
   */
  rawRow(header: NetpbmHeader, row: number): Buffer {
    const bytes = this.reader.take(header.rowBytes);
    if (bytes.length < header.rowBytes) throw this.truncated(header, row);
    if (header.kind !== 'pbm' && header.maxval !== 255 && header.maxval !== 65535) this.checkRawSamples(header, bytes, row);
    return bytes;
  }

  /** Reads one row into `out` as samples (`width × channels`, values 0..maxval; PBM black = 0, white = 1). */
  readRow(header: NetpbmHeader, out: Uint16Array, row: number): void {
    if (header.plain) {
      if (header.kind === 'pbm') this.readPlainBits(header, out, row);
      else this.readPlainSamples(header, out, row);
      return;
    }
    const bytes = this.rawRow(header, row);
    if (header.kind === 'pbm') {
      const width = header.width;
      for (let x = 0; x < width; x++) out[x] = (bytes[x >> 3] >> (7 - (x & 7))) & 1 ? 0 : 1;
    } else if (header.maxval > 255) {
      const n = header.width * header.channels;
      for (let i = 0, j = 0; i < n; i++, j += 2) out[i] = (bytes[j] << 8) | bytes[j + 1];
    } else {
      const n = header.width * header.channels;
      for (let i = 0; i < n; i++) out[i] = bytes[i];
    }
  }

  private checkRawSamples(header: NetpbmHeader, bytes: Buffer, row: number): void {
    const maxval = header.maxval;
    if (maxval > 255) {
      for (let j = 0; j < bytes.length; j += 2) {
        const v = (bytes[j] << 8) | bytes[j + 1];
        if (v > maxval) throw this.sampleTooLarge(header, row, j >> 1, v, header.rasterOffset + row * header.rowBytes + j);
      }
    } else {
      for (let j = 0; j < bytes.length; j++)
        if (bytes[j] > maxval) throw this.sampleTooLarge(header, row, j, bytes[j], header.rasterOffset + row * header.rowBytes + j);
    }
  }

  private readPlainBits(header: NetpbmHeader, out: Uint16Array, row: number): void {
    const reader = this.reader;
    for (let x = 0; x < header.width; x++) {
      let b = reader.next();
      while (isSpace(b) || b === HASH) {
        if (b === HASH) this.skipComment();
        b = reader.next();
      }
      if (b === 0x30) out[x] = 1;
      else if (b === 0x31) out[x] = 0;
      else if (b < 0) throw this.truncated(header, row);
      else throw this.error(reader.position - 1, `${imageWord(header.index)}junk in the raster where a bit (0 or 1) should be: ${describeBytes(b)}`);
    }
  }

  private readPlainSamples(header: NetpbmHeader, out: Uint16Array, row: number): void {
    const n = header.width * header.channels;
    const maxval = header.maxval;
    for (let i = 0; i < n; i++) {
      const at = this.skipSpaceAndComments();
      if (this.reader.atEnd) throw this.truncated(header, row);
      const v = this.readNumber(at, `${imageWord(header.index)}junk in the raster where a sample value should be`);
      if (v > maxval) throw this.sampleTooLarge(header, row, i, v, at);
      out[i] = v;
    }
  }

  /** A header number: whitespace and comments before it, whitespace or a comment right after it. */
  private headerNumber(what: string, index: number): number {
    const at = this.skipSpaceAndComments();
    if (this.reader.atEnd) throw this.error(at, `${imageWord(index)}header ends before its ${what}`, 'the file is truncated');
    const value = this.readNumber(at, `${imageWord(index)}junk in the header where the ${what} should be`);
    const after = this.reader.peek();
    if (after === HASH) {
      this.reader.next();
      this.skipComment();
    } else if (isSpace(after)) {
      // The raw raster starts right after this single character.
      this.reader.next();
    } else if (after < 0) {
      throw this.error(this.reader.position, `${imageWord(index)}header ends right after its ${what}`, 'the file is truncated');
    } else {
      throw this.error(this.reader.position, `${imageWord(index)}junk in the header after the ${what}: ${describeBytes(after)}`);
    }
    return value;
  }

  private readNumber(at: number, junkMessage: string): number {
    const reader = this.reader;
    let b = reader.peek();
    if (b < ZERO || b > NINE) throw this.error(at, `${junkMessage}: ${describeBytes(b)}`);
    let value = 0;
    while (b >= ZERO && b <= NINE) {
      value = value * 10 + (b - ZERO);
      if (value > MAX_DIMENSION) throw this.error(at, `number too large: more than ${MAX_DIMENSION}`);
      reader.next();
      b = reader.peek();
    }
    return value;
  }

  /** Skips whitespace and comments; returns the position of what follows. */
  private skipSpaceAndComments(): number {
    const reader = this.reader;
    for (;;) {
      const b = reader.peek();
      if (isSpace(b)) reader.next();
      else if (b === HASH) {
        reader.next();
        this.skipComment();
      } else return reader.position;
    }
  }

  private skipComment(): void {
    const reader = this.reader;
    for (;;) {
      const b = reader.next();
      if (b < 0 || b === LF || b === CR) return;
    }
  }

  private truncated(header: NetpbmHeader, row: number): OzkitError {
    return this.error(
      this.reader.position,
      `${imageWord(header.index)}truncated: the pixel data ends in row ${row + 1} of ${header.height} (${header.width}x${header.height})`,
      'the image was cut short, or its header lies about its size',
      !header.plain,
    );
  }

  private sampleTooLarge(header: NetpbmHeader, row: number, sample: number, value: number, at: number): OzkitError {
    const column = Math.floor(sample / header.channels) + 1;
    return this.error(
      at,
      `${imageWord(header.index)}sample value ${value} at row ${row + 1}, column ${column} is larger than maxval ${header.maxval}`,
      undefined,
      !header.plain,
    );
  }

  /** An error at byte `position`: `FILE:LINE:COL: message` while in text, `FILE: byte N: message` in binary data. */
  error(position: number, message: string, hint?: string, inBinary = false): OzkitError {
    const where = inBinary ? ` byte ${position}:` : this.describePosition(position);
    return new OzkitError('BAD_IMAGE', `${this.label}:${where} ${message}`, hint ? { hint } : {});
  }

  private describePosition(position: number): string {
    // Lines and columns mean something in a header or a plain raster; count them only for an error.
    const source = this.reader.source;
    const limit = Math.min(position, source.size);
    if (limit > 16 * 1024 * 1024) return ` byte ${position}:`;
    const buf = Buffer.allocUnsafe(64 * 1024);
    let line = 1;
    let lineStart = 0;
    let binary = false;
    for (let base = 0; base < limit; base += buf.length) {
      const n = source.readInto(buf, 0, Math.min(buf.length, limit - base), base);
      for (let i = 0; i < n; i++) {
        const b = buf[i];
        if (b === LF) {
          line++;
          lineStart = base + i + 1;
        } else if (b < 0x09 || b > 0x7e) binary = true;
      }
      if (n === 0) break;
    }
    if (binary) return ` byte ${position}:`;
    return `${line}:${position - lineStart + 1}:`;
  }
}

function imageWord(index: number): string {
  return index > 0 ? `image ${index + 1}: ` : '';
}

function describeBytes(...bytes: number[]): string {
  const shown = bytes.filter((b) => b >= 0);
  if (shown.length === 0) return 'end of file';
  const text = shown.map((b) => (b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`)).join('');
  return `"${text}"`;
}
