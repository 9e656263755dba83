import { createHash, randomBytes } from 'node:crypto';

/**
 * SHA-512 crypt(3) (`$6$salt$hash`, Ulrich Drepper's specification), the hash every supported
 * installer accepts for the root password. Answer files carry only this hash, whose alphabet
 * (`./0-9A-Za-z$`) cannot start a new command or section in any answer-file format.
 */

const ALPHABET = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const DEFAULT_ROUNDS = 5000;

/** The byte order of the final encoding, three bytes to four characters. */
const ORDER: [number, number, number][] = [
  [0, 21, 42],
  [22, 43, 1],
  [44, 2, 23],
  [3, 24, 45],
  [25, 46, 4],
  [47, 5, 26],
  [6, 27, 48],
  [28, 49, 7],
  [50, 8, 29],
  [9, 30, 51],
  [31, 52, 10],
  [53, 11, 32],
  [12, 33, 54],
  [34, 55, 13],
  [56, 14, 35],
  [15, 36, 57],
  [37, 58, 16],
  [59, 17, 38],
  [18, 39, 60],
  [40, 61, 19],
  [62, 20, 41],
];

function sha512(...parts: Buffer[]): Buffer {
  const hash = createHash('sha512');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/** `source` repeated to exactly `length` bytes. */
function stretch(source: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = source[i % source.length];
  return out;
}

function encode24(b2: number, b1: number, b0: number, chars: number): string {
  let w = (b2 << 16) | (b1 << 8) | b0;
  let out = '';
  for (let i = 0; i < chars; i++) {
    out += ALPHABET[w & 0x3f];
    w >>= 6;
  }
  return out;
}

/** A random 16-character salt from the crypt alphabet. */
export function randomSalt(): string {
  const bytes = randomBytes(16);
  let salt = '';
  for (const b of bytes) salt += ALPHABET[b & 0x3f];
  return salt;
}

export function sha512Crypt(password: string, salt: string = randomSalt(), rounds = DEFAULT_ROUNDS): string {
  if (!/^[./0-9A-Za-z]{1,16}$/.test(salt)) throw new Error('salt must be 1-16 characters of [./0-9A-Za-z]');
  const P = Buffer.from(password, 'utf8');
  const S = Buffer.from(salt, 'ascii');

  const B = sha512(P, S, P);
  const a = createHash('sha512');
  a.update(P);
  a.update(S);
  a.update(stretch(B, P.length));
  for (let n = P.length; n > 0; n >>= 1) a.update(n & 1 ? B : P);
  let C = a.digest();

  const dp = createHash('sha512');
  for (let i = 0; i < P.length; i++) dp.update(P);
  const Pp = stretch(dp.digest(), P.length);

  const ds = createHash('sha512');
  for (let i = 0; i < 16 + C[0]; i++) ds.update(S);
  const Sp = stretch(ds.digest(), S.length);

  for (let i = 0; i < rounds; i++) {
    const c = createHash('sha512');
    c.update(i & 1 ? Pp : C);
    if (i % 3 !== 0) c.update(Sp);
    if (i % 7 !== 0) c.update(Pp);
    c.update(i & 1 ? C : Pp);
    C = c.digest();
  }

  let encoded = '';
  for (const [x, y, z] of ORDER) encoded += encode24(C[x], C[y], C[z], 4);
  encoded += encode24(0, 0, C[63], 2);
  const prefix = rounds === DEFAULT_ROUNDS ? '$6$' : `$6$rounds=${rounds}$`;
  return `${prefix}${salt}$${encoded}`;
}
