import { describe, expect, it } from 'vitest';
import { parseChecksum } from './checksum.js';

const SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

describe('parseChecksum', () => {
  it.each([
    ['sha256', 'https://example.org/SHA256SUMS', 'https://example.org/SHA256SUMS'],
    ['md5', 'file:///srv/MD5SUMS', 'file:///srv/MD5SUMS'],
    ['sha1', '/srv/SHA1SUMS', '/srv/SHA1SUMS'],
    ['sha256', `sha256:${SHA256.toUpperCase()}`, `sha256:${SHA256}`],
    ['sha256', `SHA256:${SHA256}`, `sha256:${SHA256}`],
    ['sha256', SHA256, `sha256:${SHA256}`],
    ['md5', 'md5:d41d8cd98f00b204e9800998ecf8427e', 'md5:d41d8cd98f00b204e9800998ecf8427e'],
    ['sha1', 'da39a3ee5e6b4b0d3255bfef95601890afd80709', 'sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709'],
    ['sha256', 'none', undefined],
  ] as const)('<%ssum>%s → %s', (kind, text, value) => {
    expect(parseChecksum(kind, text)).toEqual({ ok: true, value });
  });

  it.each([
    ['md5', `sha256:${SHA256}`, /<md5sum> holds a sha256 digest/],
    ['sha256', `sha512:${'0'.repeat(128)}`, /a TDL takes md5, sha1 or sha256 digests/],
    ['sha256', 'sha256:abc', /a sha256 digest has 64 hex digits, not 3/],
    ['sha1', SHA256, /a sha1 digest has 40 hex digits, not 64/],
    ['sha256', 'SHA256SUMS', /must be the URL of a checksum file/],
    ['sha256', 'ftp://example.org/SUMS', /must be the URL of a checksum file/],
  ] as const)('<%ssum>%s is refused', (kind, text, message) => {
    const result = parseChecksum(kind, text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(message);
  });
});
