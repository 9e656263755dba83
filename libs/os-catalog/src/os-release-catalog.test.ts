import { describe, expect, it } from 'vitest';
import { resolveOs } from './os-release-catalog.js';

describe('resolveOs', () => {
  it.each([
    ['RHEL-7', '9', 'rhel', 7, 9],
    ['CentOS-7', '9', 'centos', 7, 9],
    ['CentOS', '7.9', 'centos', 7, 9],
    ['RHEL-9', '4', 'rhel', 9, 4],
    ['RHEL', '9.4', 'rhel', 9, 4],
    ['Rocky-9', '9', 'rocky', 9, undefined],
    ['rocky-9', '9.3', 'rocky', 9, 3],
    ['RockyLinux', '8', 'rocky', 8, undefined],
    ['AlmaLinux-9', '9.4', 'almalinux', 9, 4],
    ['Alma', '8', 'almalinux', 8, undefined],
    ['CentOS-Stream-9', '9', 'centos-stream', 9, undefined],
    ['CentOS-Stream', '10', 'centos-stream', 10, undefined],
    ['RHEL-8', 'U6', 'rhel', 8, 6],
  ])('%s %s → kickstart, %s %i', (name, version, distro, major, minor) => {
    const os = resolveOs(name, version);
    expect(os).toMatchObject({ family: 'redhat', format: 'kickstart', distro, major });
    expect(os.minor).toBe(minor);
  });

  it('knows each release kickstart syntax', () => {
    expect(resolveOs('CentOS-7', '9').kickstart).toMatchObject({ installCommand: true, auth: 'auth', sshkeyCommand: false });
    expect(resolveOs('RHEL-8', '10').kickstart).toMatchObject({ installCommand: false, auth: 'authselect', sshkeyCommand: true });
  });

  it('Fedora: a number newer than known falls back to the newest, rawhide too', () => {
    expect(resolveOs('Fedora', '99')).toMatchObject({ major: 43, fallbackFrom: '99' });
    expect(resolveOs('Fedora', 'rawhide')).toMatchObject({ major: 43, fallbackFrom: 'rawhide' });
    expect(resolveOs('Fedora', '40')).toMatchObject({ major: 40 });
    expect(resolveOs('Fedora', '40').fallbackFrom).toBeUndefined();
  });

  it('Debian 10-13 by number or codename, Ubuntu by release', () => {
    expect(resolveOs('Debian', '12')).toMatchObject({ format: 'preseed', major: 12 });
    expect(resolveOs('Debian', '12.5')).toMatchObject({ major: 12 });
    expect(resolveOs('debian', 'trixie')).toMatchObject({ major: 13 });
    expect(resolveOs('Debian', '14')).toMatchObject({ major: 13, fallbackFrom: '14' });
    expect(resolveOs('Ubuntu', '18.04.6')).toMatchObject({ format: 'preseed', family: 'ubuntu' });
    expect(resolveOs('Ubuntu', '18.10')).toMatchObject({ format: 'preseed' });
    expect(resolveOs('Ubuntu', '20.04')).toMatchObject({ format: 'autoinstall' });
    expect(resolveOs('Ubuntu', '24.04.1')).toMatchObject({ format: 'autoinstall' });
  });

  it('openSUSE Leap, Tumbleweed and SLES → AutoYaST', () => {
    expect(resolveOs('openSUSE-Leap', '15.6')).toMatchObject({ family: 'suse', format: 'autoyast', distro: 'opensuse', major: 15, minor: 6 });
    expect(resolveOs('OpenSUSE', '42.3')).toMatchObject({ major: 42, minor: 3 });
    expect(resolveOs('openSUSE', 'Tumbleweed')).toMatchObject({ distro: 'opensuse-tumbleweed' });
    expect(resolveOs('openSUSE-Tumbleweed', '20261120')).toMatchObject({ distro: 'opensuse-tumbleweed' });
    expect(resolveOs('SLES-15', 'SP6')).toMatchObject({ distro: 'sles', major: 15, minor: 6, label: 'SLES 15 SP6' });
    expect(resolveOs('SLES', '15-SP5')).toMatchObject({ major: 15, minor: 5 });
    expect(resolveOs('SLES', '12.5')).toMatchObject({ major: 12, minor: 5 });
  });

  it.each([
    ['SLES', '11', /SLES 11 is not supported/],
    ['openSUSE', '13.2', /openSUSE Leap 13 is not supported/],
    ['Gentoo', '1', /unknown operating system "Gentoo"/],
    ['CentOS-6', '10', /CentOS Linux 6 is not supported \(known: 7, 8\)/],
    ['RHEL-9', 'nine', /"nine" is not a Red Hat Enterprise Linux version/],
    ['Fedora', '30', /older than the oldest template/],
    ['Debian', '9', /Debian 9 is older than the oldest template \(10\)/],
    ['Ubuntu', '22', /not an Ubuntu version/],
  ])('refuses %s %s with exit 65 and the supported list', (name, version, message) => {
    try {
      resolveOs(name, version);
      expect.unreachable();
    } catch (error) {
      const e = error as { message: string; exitCode: number; hint: string };
      expect(e.message).toMatch(message);
      expect(e.exitCode).toBe(65);
      expect(e.hint).toMatch(/Rocky-9.*--auto FILE/);
    }
  });
});
