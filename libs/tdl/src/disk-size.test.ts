import { describe, expect, it } from 'vitest';
import { parseDiskSize } from './disk-size.js';

const GiB = 2n ** 30n;

describe('parseDiskSize follows Oz HEAD', () => {
  it.each([
    ['10', 10n * GiB],
    ['10G', 10n * GiB],
    ['10g', 10n * GiB],
    ['10 G', 10n * GiB],
    ['10   G', 10n * GiB],
    ['10 ', 10n * GiB],
    ['2T', 2n * 2n ** 40n],
    ['10GB', 10_000_000_000n],
    ['10gb', 10_000_000_000n],
    ['16GiB', 16n * GiB],
    ['16gIb', 16n * GiB],
    ['512B', 512n],
    ['1KB', 1000n],
    ['1KiB', 1024n],
    ['3MB', 3_000_000n],
    ['3MiB', 3n * 2n ** 20n],
    ['1PB', 10n ** 15n],
    ['1PiB', 2n ** 50n],
    ['1EB', 10n ** 18n],
    ['2EiB', 2n ** 61n],
    ['10ZB', 10n ** 22n],
    ['1ZiB', 2n ** 70n],
    ['1YB', 10n ** 24n],
    ['1YiB', 2n ** 80n],
    ['007', 7n * GiB],
  ])('%s is %s bytes', (text, bytes) => {
    expect(parseDiskSize(text)).toEqual({ ok: true, bytes });
  });

  it.each([
    ['10M', /unit "M" is not accepted/],
    ['10k', /unit "k" is not accepted/],
    ['10E', /unit "E" is not accepted/],
    ['10i', /unit "i" is not accepted/],
    ['10ib', /unit "ib" is not accepted/],
    ['G', /has no number/],
    ['', /has no number/],
    ['T10', /is not a whole number/],
    [' 10G', /no spaces or line breaks around the value/],
    ['10G\n', /no spaces or line breaks around the value/],
    ['1 0G', /is not a whole number/],
    ['10.5G', /is not a whole number/],
    ['-1G', /is not a whole number/],
    ['10GiBs', /is not a whole number/],
    ['0', /is zero bytes/],
    ['0GiB', /is zero bytes/],
  ])('%j is refused', (text, message) => {
    const result = parseDiskSize(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(message);
  });
});
