import { describe, expect, it } from 'vitest';
import { findInSums, MultiHash, parseChecksumSpec, verifyDigest } from './checksum.js';

const hex = 'a'.repeat(64);

describe('parseChecksumSpec', () => {
  it('reads inline digests (Packer style), bare hex, none and SUMS locations', () => {
    expect(parseChecksumSpec(`sha256:${hex.toUpperCase()}`, undefined, 'x')).toEqual({
      type: 'inline',
      expected: { algorithm: 'sha256', hex, source: `sha256:${hex}` },
    });
    expect(parseChecksumSpec('b'.repeat(32), 'md5', 'x')).toMatchObject({ type: 'inline', expected: { algorithm: 'md5' } });
    expect(parseChecksumSpec('c'.repeat(40), undefined, 'x')).toMatchObject({ type: 'inline', expected: { algorithm: 'sha1' } });
    expect(parseChecksumSpec('none', undefined, 'x')).toEqual({ type: 'none' });
    expect(parseChecksumSpec('http://m/SHA256SUMS', 'sha256', 'x')).toEqual({ type: 'sums', algorithm: 'sha256', url: 'http://m/SHA256SUMS' });
    expect(parseChecksumSpec('/srv/SHA1SUMS', 'sha1', 'x')).toEqual({ type: 'sums', algorithm: 'sha1', url: '/srv/SHA1SUMS' });
  });

  it('rejects digests of the wrong length and unknown schemes', () => {
    expect(() => parseChecksumSpec('sha256:abcd', undefined, 'tdl:3:5')).toThrow(/tdl:3:5: sha256 digest must be 64 hex digits, got 4/);
    expect(() => parseChecksumSpec('abcd', 'sha256', 'x')).toThrow(/not a sha256 digest/);
    expect(() => parseChecksumSpec('gopher://m/SUMS', undefined, 'x')).toThrow(/unsupported checksum/);
    expect(parseChecksumSpec('ftp://m/SUMS', undefined, 'x')).toEqual({ type: 'sums', algorithm: 'sha256', url: 'ftp://m/SUMS' });
  });
});

describe('findInSums', () => {
  it('matches GNU lines (text and binary mode, ./ prefix) by file name', () => {
    const sums = `${'1'.repeat(64)}  other.iso\n${hex} *./dir/CentOS-7.iso\r\n`;
    expect(findInSums(sums, 'CentOS-7.iso', 'sha256')).toBe(hex);
    expect(findInSums(sums, 'missing.iso', 'sha256')).toBeUndefined();
  });

  it('matches BSD lines of the wanted algorithm only, ignoring PGP armour', () => {
    const sums = `-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nSHA1 (x.iso) = ${'d'.repeat(40)}\nSHA256 (x.iso) = ${hex}\n-----BEGIN PGP SIGNATURE-----\n`;
    expect(findInSums(sums, 'x.iso', 'sha256')).toBe(hex);
    expect(findInSums(sums, 'x.iso', 'sha1')).toBe('d'.repeat(40));
    expect(findInSums(sums, 'x.iso', 'md5')).toBeUndefined();
  });

  it('does not take a digest of another length for the wanted algorithm', () => {
    expect(findInSums(`${'e'.repeat(32)}  x.iso\n`, 'x.iso', 'sha256')).toBeUndefined();
  });
});

describe('MultiHash and verifyDigest', () => {
  it('computes sha256 always plus the requested algorithm in one pass', () => {
    const h = new MultiHash(['md5']);
    h.update(Buffer.from('abc'));
    const d = h.digest();
    expect(d.sha256).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(d.md5).toBe('900150983cd24fb0d6963f7d28e17f72');
    expect(() => verifyDigest(d, { algorithm: 'md5', hex: '0'.repeat(32), source: 'http://m/MD5SUMS' }, 'x.iso')).toThrow(
      /x.iso: md5 mismatch: expected 0+, got 900150983cd24fb0d6963f7d28e17f72 \(from http:\/\/m\/MD5SUMS\)/,
    );
  });
});
