import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseOsRelease } from './os-release.js';

describe('parseOsRelease', () => {
  it('reads quoted and unquoted values', () => {
    const r = parseOsRelease('NAME="Rocky Linux"\nID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.3"\n# c\nPRETTY_NAME="Rocky \\"Blue\\" Onyx"\n');
    expect(r).toEqual({ id: 'rocky', idLike: ['rhel', 'centos', 'fedora'], versionId: '9.3', prettyName: 'Rocky "Blue" Onyx', name: 'Rocky Linux' });
  });
  it('defaults ID to linux', () => {
    expect(parseOsRelease('').id).toBe('linux');
  });
  it('reads this Debian host', () => {
    const r = parseOsRelease(readFileSync('/etc/os-release', 'utf8'));
    expect(r.id).toBe('debian');
    expect(r.versionId).toBe('12');
  });
});
