import { describe, expect, it } from 'vitest';
import { encodePurlComponent, formatPurl, parsePurl } from './purl.js';
import { packagePurl } from './sbom-input.js';
import type { Distro } from './distro.js';

const debian12: Distro = { id: 'debian', versionId: '12', source: 'guest' };
const rhel9: Distro = { id: 'rhel', versionId: '9.3', source: 'guest' };

describe('purls', () => {
  it('percent-encodes + and keeps the epoch colon (purl-spec / ECMA-427 character rules)', () => {
    expect(encodePurlComponent('2.36-9+deb12u4')).toBe('2.36-9%2Bdeb12u4');
    expect(encodePurlComponent('1:9.2p1-2')).toBe('1:9.2p1-2');
    expect(encodePurlComponent('a b/c@d?e#f&g=h%')).toBe('a%20b%2Fc%40d%3Fe%23f%26g%3Dh%25');
    expect(encodePurlComponent('é')).toBe('%C3%A9');
  });

  it('writes deb purls with the full dpkg version and sorted qualifiers', () => {
    const purl = packagePurl({ name: 'openssh-server', epoch: '1', version: '9.2p1', release: '2+deb12u3', arch: 'amd64' }, 'deb', debian12);
    expect(purl).toBe('pkg:deb/debian/openssh-server@1:9.2p1-2%2Bdeb12u3?arch=amd64&distro=debian-12');
    expect(packagePurl({ name: 'libstdc++6', version: '12.2.0', release: '14', arch: 'amd64' }, 'deb', debian12)).toBe(
      'pkg:deb/debian/libstdc%2B%2B6@12.2.0-14?arch=amd64&distro=debian-12',
    );
  });

  it('writes rpm purls with VERSION-RELEASE, the vendor namespace and the epoch as a qualifier', () => {
    const purl = packagePurl({ name: 'openssl-libs', epoch: '1', version: '3.0.7', release: '25.el9_3', arch: 'x86_64' }, 'rpm', rhel9);
    expect(purl).toBe('pkg:rpm/redhat/openssl-libs@3.0.7-25.el9_3?arch=x86_64&distro=rhel-9.3&epoch=1');
    // gpg-pubkey has no arch: no empty qualifier
    expect(packagePurl({ name: 'gpg-pubkey', version: 'fd431d51', release: '4ae0493b', arch: '' }, 'rpm', { id: 'centos', versionId: '7', source: 'guest' })).toBe(
      'pkg:rpm/centos/gpg-pubkey@fd431d51-4ae0493b?distro=centos-7',
    );
  });

  it('reads back what it writes', () => {
    const parts = { type: 'deb', namespace: 'debian', name: 'g++', version: '4:12.2.0-3', qualifiers: { arch: 'amd64', distro: 'debian-12' } };
    expect(parsePurl(formatPurl(parts))).toEqual(parts);
  });
});
