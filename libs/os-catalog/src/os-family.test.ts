import { describe, expect, it } from 'vitest';
import { familyMatches, osReleaseIdFor, rpmVendorFor, templateFamily } from './os-family.js';

describe('TDL names and os-release IDs', () => {
  it('maps Oz spellings (with a release suffix) to os-release IDs, keeping unknown names', () => {
    expect(osReleaseIdFor('RHEL-9')).toBe('rhel');
    expect(osReleaseIdFor('CentOS-Stream')).toBe('centos');
    expect(osReleaseIdFor('RockyLinux')).toBe('rocky');
    expect(osReleaseIdFor('Alma')).toBe('almalinux');
    expect(osReleaseIdFor('OpenSUSE')).toBe('opensuse-leap');
    expect(osReleaseIdFor('OEL-8')).toBe('ol');
    expect(osReleaseIdFor('ScientificLinux')).toBe('scientific');
    expect(osReleaseIdFor('Debian')).toBe('debian');
    expect(osReleaseIdFor('Gentoo Linux')).toBe('gentoolinux');
  });

  it('families of TDL names, and whether a guest belongs to one', () => {
    expect(templateFamily('Fedora')).toBe('rhel');
    expect(templateFamily('SLES')).toBe('suse');
    expect(templateFamily('Windows')).toBeUndefined();
    const rocky = { id: 'rocky', idLike: ['rhel', 'centos', 'fedora'] };
    expect(familyMatches('RHEL-9', rocky)).toBe(true);
    expect(familyMatches('Debian', rocky)).toBe(false);
    expect(familyMatches('OpenSUSE', { id: 'opensuse-leap', idLike: ['suse', 'opensuse'] })).toBe(true);
    expect(familyMatches('Windows', rocky)).toBe(true);
  });

  it('rpm vendors (purl namespaces) differ from os-release IDs for some', () => {
    expect(rpmVendorFor('rhel')).toBe('redhat');
    expect(rpmVendorFor('ol')).toBe('oracle');
    expect(rpmVendorFor('opensuse-leap')).toBe('opensuse');
    expect(rpmVendorFor('rocky')).toBe('rocky');
  });
});
