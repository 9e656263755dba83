import type { NetpbmHeader } from './netpbm-decoder.js';

/**
 * What netpbm's pnmtopng looks at before it writes a PNG: whether a PPM is really gray,
 * whether the samples carry redundant (repeated) bits, and how many colors there are
 * (up to 257, enough to know a palette is impossible). One pass over the raster fills it.
 */
export class ImageSurvey {
  /** PPM whose every pixel has R = G = B. */
  isGray: boolean;
  /** Every sample's low 2k bits are two copies of its low k bits, for k = 8, 4, 2, 1 (PGM). */
  private repeated = { 8: true, 4: true, 2: true, 1: true } as Record<8 | 4 | 2 | 1, boolean>;
  /** Every 16-bit PPM sample is an 8-bit value times 257. */
  ppm16Is8: boolean;
  /** Distinct colors (PPM: r<<32 packed as r*2^32+g*2^16+b; PGM/PBM: the gray), until more than 256. */
  readonly colors = new Map<number, number>();
  private countColors: boolean;
  private checkRepeated: boolean;
  private lastColor = -1;

  constructor(readonly header: NetpbmHeader) {
    this.isGray = header.kind === 'ppm';
    this.ppm16Is8 = header.kind === 'ppm' && header.maxval === 65535;
    const mv = header.maxval;
    this.checkRepeated = header.kind === 'pgm' && (mv === 65535 || mv === 255 || mv === 15 || mv === 3);
    // A palette needs maxval <= 255 and more than 1 bit per pixel; PBM is always 1 bit.
    this.countColors = mv <= 255 && header.kind !== 'pbm';
  }

  get tooManyColors(): boolean {
    return this.colors.size > 256;
  }

  addRow(samples: Uint16Array): void {
    const n = this.header.width * this.header.channels;
    if (this.header.kind === 'ppm') {
      if (this.isGray) {
        for (let i = 0; i < n; i += 3) {
          if (samples[i] !== samples[i + 1] || samples[i + 1] !== samples[i + 2]) {
            this.isGray = false;
            break;
          }
        }
      }
      if (this.ppm16Is8) {
        for (let i = 0; i < n; i++) {
          const v = samples[i];
          if ((v & 0xff) * 0x101 !== v) {
            this.ppm16Is8 = false;
            break;
          }
        }
      }
      if (this.countColors && this.colors.size <= 256) {
        let last = this.lastColor;
        for (let i = 0; i < n; i += 3) {
          const key = (samples[i] << 16) | (samples[i + 1] << 8) | samples[i + 2];
          if (key === last) continue;
          last = key;
          if (!this.colors.has(key)) {
            this.colors.set(key, this.colors.size);
            if (this.colors.size > 256) break;
          }
        }
        this.lastColor = last;
      }
      return;
    }
    if (this.checkRepeated) {
      const r = this.repeated;
      for (let i = 0; i < n; i++) {
        const v = samples[i];
        if (r[8] && !repeats(v, 8)) r[8] = false;
        if (r[4] && !repeats(v, 4)) r[4] = false;
        if (r[2] && !repeats(v, 2)) r[2] = false;
        if (r[1] && !repeats(v, 1)) r[1] = false;
        if (!r[8] && !r[4] && !r[2] && !r[1]) {
          this.checkRepeated = false;
          break;
        }
      }
    }
    if (this.countColors && this.colors.size <= 256) {
      let last = this.lastColor;
      for (let i = 0; i < n; i++) {
        const key = samples[i];
        if (key === last) continue;
        last = key;
        if (!this.colors.has(key)) {
          this.colors.set(key, this.colors.size);
          if (this.colors.size > 256) break;
        }
      }
      this.lastColor = last;
    }
  }

  /**
   * The raw 8-bit RGB row of a P6 maxval-255 image, without unpacking it into samples
   * (the common QEMU screendump; saves a copy per row).
   */
  addRgb8Row(bytes: Uint8Array): void {
    const n = bytes.length;
    if (this.isGray) {
      for (let i = 0; i < n; i += 3) {
        if (bytes[i] !== bytes[i + 1] || bytes[i + 1] !== bytes[i + 2]) {
          this.isGray = false;
          break;
        }
      }
    }
    if (this.colors.size <= 256) {
      let last = this.lastColor;
      for (let i = 0; i < n; i += 3) {
        const key = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
        if (key === last) continue;
        last = key;
        if (!this.colors.has(key)) {
          this.colors.set(key, this.colors.size);
          if (this.colors.size > 256) break;
        }
      }
      this.lastColor = last;
    }
  }

  /** True when nothing more can change the decision (lets the survey stop early). */
  get settled(): boolean {
    const h = this.header;
    if (h.kind === 'ppm') return !this.isGray && !this.ppm16Is8 && (!this.countColors || this.tooManyColors);
    return !this.checkRepeated && (!this.countColors || this.tooManyColors);
  }

  /** pnmtopng's `findRedundantBits`: how many low bits of each sample carry information. */
  meaningfulBits(): number {
    const h = this.header;
    let bits = maxvalToBits(h.maxval);
    if (h.kind === 'pgm' && (h.maxval === 65535 || h.maxval === 255 || h.maxval === 15 || h.maxval === 3)) {
      const r = this.repeated;
      if (bits === 16 && r[8]) bits = 8;
      if (bits === 8 && r[4]) bits = 4;
      if (bits === 4 && r[2]) bits = 2;
      if (bits === 2 && r[1]) bits = 1;
    } else if (h.kind === 'ppm' && h.maxval === 65535 && this.ppm16Is8) {
      bits = 8;
    }
    return bits;
  }
}

function repeats(v: number, k: number): boolean {
  const t2 = v & ((1 << (2 * k)) - 1);
  const t1 = t2 & ((1 << k) - 1);
  return ((t1 << k) | t1) === t2;
}

/** netpbm's pm_maxvaltobits: the fewest bits whose all-ones value is >= maxval. */
export function maxvalToBits(maxval: number): number {
  let bits = 1;
  while ((1 << bits) - 1 < maxval) bits++;
  return bits;
}

export type PngColorType = 0 | 2 | 3;

export interface PngLayout {
  /** 0 gray, 2 RGB, 3 palette. */
  colorType: PngColorType;
  bitDepth: 1 | 2 | 4 | 8 | 16;
  /** For gray/RGB: the PNG's sample maximum (2^bitDepth - 1) the netpbm samples are scaled to. */
  pngMaxval: number;
  /** Gray PNG from a PPM: take one channel. */
  grayFromRgb: boolean;
  /** Palette: the survey's color keys in palette order, and the PLTE entries (scaled to 255). */
  palette?: { keys: number[]; rgb: Uint8Array };
  /** sBIT: the significant bits of the original samples, when fewer than the PNG's. */
  significantBits?: number;
  /** Why no palette (for -v). */
  note: string;
}

/** netpbm's rounding maxval conversion (PPM_DEPTH): (v * newMax + oldMax / 2) / oldMax in integers. */
export function scaleSample(v: number, oldMax: number, newMax: number): number {
  return Math.floor((v * newMax + Math.floor(oldMax / 2)) / oldMax);
}

function sampleBits(gray: boolean, meaningful: number): 1 | 2 | 4 | 8 | 16 {
  if (!gray) return meaningful > 8 ? 16 : 8;
  if (meaningful > 8) return 16;
  if (meaningful > 4) return 8;
  if (meaningful > 2) return 4;
  if (meaningful > 1) return 2;
  return 1;
}

function paletteIndexBits(colors: number): 1 | 2 | 4 | 8 {
  if (colors <= 2) return 1;
  if (colors <= 4) return 2;
  if (colors <= 16) return 4;
  return 8;
}

/** Decides the PNG exactly as pnmtopng (netpbm 11) does without options, so the pixels come out the same. */
export function choosePngLayout(survey: ImageSurvey): PngLayout {
  const h = survey.header;
  const gray = h.kind !== 'ppm' || survey.isGray;
  const meaningful = survey.meaningfulBits();
  const bitsPerSample = sampleBits(gray, meaningful);
  const bitsPerPixel = gray ? bitsPerSample : 3 * bitsPerSample;
  let note: string;
  if (h.maxval > 255) note = `maxval ${h.maxval} is above a palette's 255`;
  else if (bitsPerPixel === 1) note = 'pixels are already 1 bit';
  else if (survey.tooManyColors) note = 'more than 256 colors';
  else if (bitsPerPixel <= paletteIndexBits(survey.colors.size)) note = `a palette index for ${survey.colors.size} colors would be no smaller than a pixel`;
  else {
    const keys = [...survey.colors.keys()];
    const rgb = new Uint8Array(keys.length * 3);
    keys.forEach((key, i) => {
      const [r, g, b] = h.kind === 'ppm' ? [key >> 16, (key >> 8) & 0xff, key & 0xff] : [key, key, key];
      rgb[i * 3] = scaleSample(r, h.maxval, 255);
      rgb[i * 3 + 1] = scaleSample(g, h.maxval, 255);
      rgb[i * 3 + 2] = scaleSample(b, h.maxval, 255);
    });
    return {
      colorType: 3,
      bitDepth: paletteIndexBits(keys.length),
      pngMaxval: 255,
      grayFromRgb: false,
      palette: { keys, rgb },
      note: `palette of ${keys.length} colors`,
    };
  }
  const pngMaxval = 2 ** bitsPerSample - 1;
  return {
    colorType: gray ? 0 : 2,
    bitDepth: bitsPerSample,
    pngMaxval,
    grayFromRgb: gray && h.kind === 'ppm',
    significantBits: pngMaxval > h.maxval ? maxvalToBits(h.maxval) : undefined,
    note,
  };
}
