import { describe, expect, it } from 'vitest';
import { familyMatches } from '@ozkit/os-catalog';
import { detectGuestOs } from './guest-os.js';

const probe = (release: string, tools: string[]) => `${release}\n--- ozkit package managers ---\n${tools.join('\n')}\n`;

describe('detectGuestOs', () => {
  it('reads Debian 12 from os-release and picks apt', () => {
    const os = detectGuestOs(probe('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm', ['apt-get']));
    expect(os.packageManager).toBe('apt');
    expect(os.release).toMatchObject({ id: 'debian', versionId: '12', versionCodename: 'bookworm' });
    expect(familyMatches('Debian', os.release)).toBe(true);
    expect(familyMatches('Fedora', os.release)).toBe(false);
  });
  it('prefers dnf over yum on Rocky 9, yum on CentOS 7, zypper on openSUSE', () => {
    expect(detectGuestOs(probe('ID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.4"', ['dnf', 'yum'])).packageManager).toBe('dnf');
    expect(detectGuestOs(probe('ID="centos"\nID_LIKE="rhel fedora"\nVERSION_ID="7"', ['yum'])).packageManager).toBe('yum');
    expect(detectGuestOs(probe('ID="opensuse-leap"\nID_LIKE="suse opensuse"', ['zypper', 'rpm'])).packageManager).toBe('zypper');
  });
  it('fails clearly on a guest without a known package manager', () => {
    expect(() => detectGuestOs(probe('ID=alpine\nPRETTY_NAME="Alpine Linux v3.20"', []))).toThrow(/Alpine Linux v3.20.*none of apt-get, dnf, yum, zypper/);
  });
});
