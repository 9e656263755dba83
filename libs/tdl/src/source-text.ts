import { isUtf8 } from 'node:buffer';

/**
 * Turning the bytes of a TDL into text that can be parsed safely, and offsets in that text
 * back into the line:column people see in their editor.
 */

/** A TDL larger than this is refused before it is parsed (real templates are a few KiB). */
export const MAX_TDL_BYTES = 16 * 1024 * 1024;

export interface Position {
  line: number;
  column: number;
}

/** A problem found while decoding or parsing, at an offset of the decoded text. */
export class SourceSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/** Decoded, line-ending-normalized text with a way back from offsets to line:column. */
export class SourceText {
  readonly text: string;
  private readonly lineStarts: number[];
  /** Low surrogates before each multiple of BLOCK: columns count characters, not UTF-16 units. */
  private surrogateCheckpoints: Int32Array | null | undefined;

  constructor(text: string) {
    this.text = text;
    const starts = [0];
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
    this.lineStarts = starts;
  }

  /** Built on the first locate(): most texts are valid and never need it. */
  private checkpoints(): Int32Array | null {
    if (this.surrogateCheckpoints !== undefined) return this.surrogateCheckpoints;
    const text = this.text;
    if (!/[\uDC00-\uDFFF]/.test(text)) return (this.surrogateCheckpoints = null);
    const checkpoints = new Int32Array(Math.floor(text.length / BLOCK) + 1);
    let count = 0;
    for (let block = 0; block < checkpoints.length; block++) {
      checkpoints[block] = count;
      const end = Math.min(text.length, (block + 1) * BLOCK);
      for (let i = block * BLOCK; i < end; i++) if (isLowSurrogate(text.charCodeAt(i))) count++;
    }
    return (this.surrogateCheckpoints = checkpoints);
  }

  /** Lines count from 1; columns count characters (code points) from 1, a tab being one. */
  locate(offset: number): Position {
    const starts = this.lineStarts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    const at = Math.min(offset, this.text.length);
    const column = at - starts[lo] + 1 - (this.lowSurrogatesBefore(at) - this.lowSurrogatesBefore(starts[lo]));
    return { line: lo + 1, column };
  }

  private lowSurrogatesBefore(offset: number): number {
    const checkpoints = this.checkpoints();
    if (!checkpoints) return 0;
    const block = Math.floor(offset / BLOCK);
    let count = checkpoints[block];
    for (let i = block * BLOCK; i < offset; i++) if (isLowSurrogate(this.text.charCodeAt(i))) count++;
    return count;
  }
}

const BLOCK = 4096;

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** A decoding problem, located in the original bytes. */
export class SourceDecodeError extends Error {
  constructor(
    message: string,
    readonly position: Position | undefined,
  ) {
    super(message);
  }
}

/**
 * Decodes a TDL's bytes: UTF-8 only (a UTF-8 BOM is dropped), no NUL bytes, no malformed
 * sequences, and CRLF / CR line ends turned into LF the way an XML parser must.
 */
export function decodeSource(bytes: Uint8Array): SourceText {
  if (bytes.length > MAX_TDL_BYTES) throw new SourceDecodeError(`file is ${bytes.length} bytes; a TDL may be at most ${MAX_TDL_BYTES} bytes (16 MiB)`, undefined);
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))
    throw new SourceDecodeError('UTF-16 text is not supported: save the TDL as UTF-8', { line: 1, column: 1 });
  let start = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
  const body = bytes.subarray(start);
  const nul = body.indexOf(0);
  if (nul !== -1) throw new SourceDecodeError('NUL byte: this is binary data, not a TDL', positionOfByte(body, nul));
  // isUtf8 validates natively (simdutf); a fatal TextDecoder is several times slower on big input.
  if (!isUtf8(body)) {
    const bad = firstInvalidUtf8(body);
    throw new SourceDecodeError('bytes that are not UTF-8: a TDL must be UTF-8 text', positionOfByte(body, bad));
  }
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  return new SourceText(text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text);
}

function positionOfByte(bytes: Uint8Array, offset: number): Position {
  const prefix = new TextDecoder('utf-8').decode(bytes.subarray(0, offset)).replace(/\r\n?/g, '\n');
  return new SourceText(prefix).locate(prefix.length);
}

/** Offset of the first byte that does not start a well-formed UTF-8 sequence. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    let need: number;
    let min: number;
    if (b < 0x80) {
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else return i;
    if (i + need >= bytes.length) return i;
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return bytes.length;
}
