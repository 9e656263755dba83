import { createHash, type Hash } from 'node:crypto';
import { OzkitError } from '@ozkit/errors';
import type { ChecksumKind } from '@ozkit/build-document';

export type HashAlgorithm = ChecksumKind | 'sha512';

const HEX_LENGTH: Record<HashAlgorithm, number> = { md5: 32, sha1: 40, sha256: 64, sha512: 128 };

/** What the media must hash to, and where that expectation came from (for messages and the document). */
export interface ExpectedChecksum {
  algorithm: HashAlgorithm;
  hex: string;
  /** `sha256:<hex>` for an inline value, else the SUMS file's URL. */
  source: string;
}

/**
 * A checksum spec as the TDL or `--checksum` gives it: inline `sha256:<hex>` (also md5/sha1/
 * sha512; Packer's form), a bare hex digest of the right length, `none`, or the URL/path of a
 * SUMS file (Oz's meaning of md5sum/sha1sum/sha256sum).
 */
export type ChecksumSpec = { type: 'none' } | { type: 'inline'; expected: ExpectedChecksum } | { type: 'sums'; algorithm: HashAlgorithm; url: string };

export function parseChecksumSpec(value: string, kind: HashAlgorithm | undefined, where: string): ChecksumSpec {
  const v = value.trim();
  if (v === '' || v.toLowerCase() === 'none') return { type: 'none' };
  const inline = /^(md5|sha1|sha256|sha512):([0-9a-fA-F]+)$/.exec(v);
  if (inline) {
    const algorithm = inline[1] as HashAlgorithm;
    if (inline[2].length !== HEX_LENGTH[algorithm])
      throw new OzkitError('BAD_TDL', `${where}: ${algorithm} digest must be ${HEX_LENGTH[algorithm]} hex digits, got ${inline[2].length}`);
    return { type: 'inline', expected: { algorithm, hex: inline[2].toLowerCase(), source: `${algorithm}:${inline[2].toLowerCase()}` } };
  }
  if (/^[0-9a-fA-F]+$/.test(v)) {
    const algorithm = kind ?? (Object.keys(HEX_LENGTH) as HashAlgorithm[]).find((a) => HEX_LENGTH[a] === v.length);
    if (!algorithm || HEX_LENGTH[algorithm] !== v.length)
      throw new OzkitError('BAD_TDL', `${where}: "${v}" is not a ${kind ?? 'md5/sha1/sha256/sha512'} digest (wrong length)`);
    return { type: 'inline', expected: { algorithm, hex: v.toLowerCase(), source: `${algorithm}:${v.toLowerCase()}` } };
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(v) && !/^(https?|ftp|file):/i.test(v))
    throw new OzkitError('BAD_TDL', `${where}: unsupported checksum "${v}"`, {
      hint: 'use sha256:<hex>, or the http(s)/ftp/file URL or path of a SUMS file',
    });
  return { type: 'sums', algorithm: kind ?? 'sha256', url: v };
}

/** The line of a SUMS file naming `fileName`, in GNU (`hash  name`) or BSD (`SHA256 (name) = hash`) form. */
export function findInSums(text: string, fileName: string, algorithm: HashAlgorithm): string | undefined {
  const want = normalizeName(fileName);
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const bsd = /^(MD5|SHA1|SHA256|SHA512|SHA-256|SHA-1) ?\((.+)\) ?= ?([0-9a-fA-F]+)$/i.exec(line);
    if (bsd) {
      const algo = bsd[1].toLowerCase().replace('-', '') as HashAlgorithm;
      if (algo === algorithm && normalizeName(bsd[2]) === want) return bsd[3].toLowerCase();
      continue;
    }
    const gnu = /^([0-9a-fA-F]+)\s+[* ]?(.+)$/.exec(line);
    if (gnu && gnu[1].length === HEX_LENGTH[algorithm] && normalizeName(gnu[2]) === want) return gnu[1].toLowerCase();
  }
  return undefined;
}

function normalizeName(name: string): string {
  const n = name.trim().replace(/^\*/, '').replace(/^\.\//, '');
  return n.slice(n.lastIndexOf('/') + 1);
}

/** Several digests over one pass of the bytes: always sha256 (the cache key), plus the one to verify. */
export class MultiHash {
  private readonly hashes = new Map<HashAlgorithm, Hash>();

  constructor(algorithms: HashAlgorithm[]) {
    for (const a of new Set<HashAlgorithm>(['sha256', ...algorithms])) this.hashes.set(a, createHash(a));
  }

  update(chunk: Buffer): void {
    for (const h of this.hashes.values()) h.update(chunk);
  }

  digest(): Record<HashAlgorithm, string> {
    const out = {} as Record<HashAlgorithm, string>;
    for (const [a, h] of this.hashes) out[a] = h.digest('hex');
    return out;
  }
}

/** Throws CHECKSUM_MISMATCH unless `digests` agree with `expected`. */
export function verifyDigest(digests: Partial<Record<HashAlgorithm, string>>, expected: ExpectedChecksum, what: string): void {
  const got = digests[expected.algorithm];
  if (got !== expected.hex)
    throw new OzkitError('CHECKSUM_MISMATCH', `${what}: ${expected.algorithm} mismatch: expected ${expected.hex}, got ${got} (from ${expected.source})`, {
      hint: 'the download is corrupt or the media changed; the bad copy was not kept — check the URL and the checksum and run again',
    });
}
