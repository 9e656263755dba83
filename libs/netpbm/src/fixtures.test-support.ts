import { execFileSync } from 'node:child_process';
import { needsPrograms } from '../../../test/support/missing-program.js';

needsPrograms('pnmtopng', 'pngtopam');

/** Netpbm test images made by code: samples in, file bytes out. */
export interface NetpbmSpec {
  format: 'P1' | 'P2' | 'P3' | 'P4' | 'P5' | 'P6';
  width: number;
  height: number;
  /** Ignored for PBM. */
  maxval?: number;
  /** width × height × channels values; PBM: 1 = black, as in the file. */
  samples: number[] | Uint16Array;
  /** Plain formats: put comments and odd whitespace everywhere netpbm allows them. */
  oddLayout?: boolean;
}

export function channelsOf(format: NetpbmSpec['format']): number {
  return format === 'P3' || format === 'P6' ? 3 : 1;
}

/** Deterministic pseudo-random numbers (xorshift), so failures reproduce. */
export function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}

export function makeNetpbm(spec: NetpbmSpec): Buffer {
  const { format, width, height, samples } = spec;
  const maxval = spec.maxval ?? 1;
  const pbm = format === 'P1' || format === 'P4';
  const odd = spec.oddLayout ?? false;
  const header = odd
    ? // Comments right after the magic, inside numbers' surroundings, after maxval; CRLF and tabs.
      `${format}#comment after magic\r\n\t${width}#w\n # whole line\n${height}${pbm ? '#h\n' : `\n#before maxval\n${maxval}#after maxval\n`}`
    : `${format}\n${width} ${height}\n${pbm ? '' : `${maxval}\n`}`;
  const head = Buffer.from(header, 'latin1');
  const channels = channelsOf(format);
  const perRow = width * channels;
  if (format === 'P4') {
    const rowBytes = Math.ceil(width / 8);
    const raster = Buffer.alloc(rowBytes * height);
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) if (samples[y * width + x]) raster[y * rowBytes + (x >> 3)] |= 0x80 >> (x & 7);
    return Buffer.concat([head, raster]);
  }
  if (format === 'P5' || format === 'P6') {
    const wide = maxval > 255;
    const raster = Buffer.alloc(perRow * height * (wide ? 2 : 1));
    for (let i = 0; i < perRow * height; i++) {
      if (wide) raster.writeUInt16BE(samples[i], i * 2);
      else raster[i] = samples[i];
    }
    return Buffer.concat([head, raster]);
  }
  const lines: string[] = [];
  for (let y = 0; y < height; y++) {
    const row = Array.from(samples.slice(y * perRow, (y + 1) * perRow), String);
    if (format === 'P1') lines.push(odd ? row.join('') + (y % 2 ? ' # bits\n' : '\n') : row.join(' ') + '\n');
    else lines.push(odd ? row.join(y % 2 ? '\t' : '  ') + (y % 3 === 0 ? '#row comment\n' : '\r\n') : row.join(' ') + '\n');
  }
  return Buffer.concat([head, Buffer.from(lines.join(''), 'latin1')]);
}

/** Random samples (or few distinct ones) for a spec. */
export function samplesFor(
  format: NetpbmSpec['format'],
  width: number,
  height: number,
  maxval: number,
  seed: number,
  style: 'random' | 'few' | 'gray' | 'repeated' = 'random',
): Uint16Array {
  const rnd = random(seed);
  const channels = channelsOf(format);
  const top = format === 'P1' || format === 'P4' ? 1 : maxval;
  const out = new Uint16Array(width * height * channels);
  const palette = Array.from({ length: 5 }, () => Array.from({ length: channels }, () => Math.floor(rnd() * (top + 1))));
  for (let p = 0; p < width * height; p++) {
    if (style === 'few') {
      const c = palette[Math.floor(rnd() * palette.length)];
      for (let k = 0; k < channels; k++) out[p * channels + k] = c[k];
    } else if (style === 'gray') {
      const v = Math.floor(rnd() * (top + 1));
      for (let k = 0; k < channels; k++) out[p * channels + k] = v;
    } else if (style === 'repeated') {
      // 2-bit values repeated to fill the maxval's bits (what pnmtopng detects as redundant).
      const bits = Math.log2(top + 1);
      const v2 = Math.floor(rnd() * 4);
      let v = 0;
      for (let b = 0; b < bits; b += 2) v = (v << 2) | v2;
      for (let k = 0; k < channels; k++) out[p * channels + k] = v & top;
    } else {
      for (let k = 0; k < channels; k++) out[p * channels + k] = Math.floor(rnd() * (top + 1));
    }
  }
  return out;
}

/** What netpbm decodes a PNG to (pngtopam honours sBIT, as netpbm's own round trip does). */
export function pngToPam(png: Buffer): Buffer {
  return execFileSync('pngtopam', [], { input: png, maxBuffer: 1 << 28, stdio: ['pipe', 'pipe', 'ignore'] });
}

/** netpbm's own conversion of the first image of `netpbm`. */
export function pnmtopng(netpbm: Buffer): Buffer {
  return execFileSync('pnmtopng', [], { input: netpbm, maxBuffer: 1 << 28, stdio: ['pipe', 'pipe', 'ignore'] });
}
