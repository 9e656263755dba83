import { describe, expect, it } from 'vitest';
import { packageManagerFor } from './package-manager.js';

const has = (...commands: string[]) => new Set(commands);

describe('packageManagerFor', () => {
  it('follows the family where it is unambiguous', () => {
    expect(packageManagerFor({ id: 'debian', idLike: [] }, has('apt-get'))).toBe('apt');
    expect(packageManagerFor({ id: 'linuxmint', idLike: ['ubuntu'] }, has('apt-get', 'dnf'))).toBe('apt');
    expect(packageManagerFor({ id: 'sles', idLike: [] }, has('zypper', 'rpm'))).toBe('zypper');
    expect(packageManagerFor({ id: 'opensuse-tumbleweed', idLike: [] }, has('zypper', 'dnf'))).toBe('zypper');
  });
  it('else dnf before yum before apt-get before zypper; none is undefined', () => {
    expect(packageManagerFor({ id: 'rocky', idLike: ['rhel'] }, has('dnf', 'yum'))).toBe('dnf');
    expect(packageManagerFor({ id: 'centos', idLike: ['rhel'] }, has('yum'))).toBe('yum');
    expect(packageManagerFor({ id: 'other', idLike: [] }, has('apt-get', 'zypper'))).toBe('apt');
    expect(packageManagerFor({ id: 'alpine', idLike: [] }, has())).toBeUndefined();
  });
});
