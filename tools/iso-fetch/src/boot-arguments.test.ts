import { describe, expect, it } from 'vitest';
import { composeArgs, escapeLabel, locatorArgs, majorRelease, usesInstPrefix, type LocatorContext } from './boot-arguments.js';

const base: LocatorContext = {
  family: 'redhat',
  format: 'kickstart',
  osName: 'RHEL-9',
  osVersion: '4',
  mode: 'iso',
  volumeId: 'RHEL-9-4-0-BaseOS-x86_64',
  onIso: '/ks.cfg',
  inInitrd: '/ks.cfg',
};

describe('locatorArgs', () => {
  it('Red Hat: inst.ks by label on the ISO, file: in the initrd, inst.repo for trees', () => {
    expect(locatorArgs(base)).toEqual(['inst.ks=hd:LABEL=RHEL-9-4-0-BaseOS-x86_64:/ks.cfg']);
    expect(locatorArgs({ ...base, volumeId: 'CentOS 7 x86_64', osName: 'CentOS-7', osVersion: '9' })).toEqual(['inst.ks=hd:LABEL=CentOS\\x207\\x20x86_64:/ks.cfg']);
    expect(locatorArgs({ ...base, mode: 'kernel' })).toEqual(['inst.ks=file:/ks.cfg', 'inst.stage2=hd:LABEL=RHEL-9-4-0-BaseOS-x86_64']);
    expect(locatorArgs({ ...base, mode: 'tree', treeUrl: 'http://m/os/' })).toEqual(['inst.ks=file:/ks.cfg', 'inst.repo=http://m/os/']);
  });

  it('old anaconda (RHEL 6, Fedora 18) gets the inst.-less forms', () => {
    const rhel6 = { ...base, osName: 'RHEL-6', osVersion: '10' };
    expect(locatorArgs(rhel6)).toEqual(['ks=cdrom:/ks.cfg']);
    expect(locatorArgs({ ...rhel6, mode: 'kernel' })).toEqual(['ks=file:/ks.cfg', 'repo=cdrom']);
    expect(locatorArgs({ ...rhel6, mode: 'tree', treeUrl: 'http://m/' })).toEqual(['ks=file:/ks.cfg', 'repo=http://m/']);
    expect(locatorArgs({ ...base, osName: 'RHEL-5', osVersion: 'U11', mode: 'tree', treeUrl: 'http://m/' })).toEqual(['ks=file:/ks.cfg', 'method=http://m/']);
    expect(usesInstPrefix('Fedora', '18')).toBe(false);
    expect(usesInstPrefix('Fedora', '19')).toBe(true);
    expect(usesInstPrefix('Fedora', 'rawhide')).toBe(true);
    expect(majorRelease('RHEL-7', '9')).toBe(7);
  });

  it('d-i: file=/cdrom/… on the ISO, nothing for /preseed.cfg in the initrd', () => {
    const deb: LocatorContext = {
      ...base,
      family: 'debian',
      format: 'preseed',
      osName: 'Debian',
      osVersion: '12',
      onIso: '/preseed/ozkit.seed',
      inInitrd: '/preseed.cfg',
    };
    expect(locatorArgs(deb)).toEqual(['file=/cdrom/preseed/ozkit.seed']);
    expect(locatorArgs({ ...deb, mode: 'kernel' })).toEqual([]);
    expect(locatorArgs({ ...deb, mode: 'tree', treeUrl: 'http://m/' })).toEqual([]);
    expect(locatorArgs({ ...deb, mode: 'kernel', inInitrd: '/ozkit.seed' })).toEqual(['preseed/file=/ozkit.seed']);
  });

  it('subiquity: autoinstall with the nocloud seed directory on the CD', () => {
    const sub: LocatorContext = {
      ...base,
      family: 'ubuntu',
      format: 'autoinstall',
      osName: 'Ubuntu',
      osVersion: '22.04',
      onIso: '/nocloud/user-data',
      inInitrd: '/nocloud/user-data',
    };
    expect(locatorArgs(sub)).toEqual(['autoinstall', 'ds=nocloud;s=/cdrom/nocloud/']);
    expect(() => locatorArgs({ ...sub, mode: 'tree', treeUrl: 'http://m/' })).toThrow(/live-server ISO/);
  });

  it('escapes labels the way dracut reads them', () => {
    expect(escapeLabel('Fedora 40 x86_64')).toBe('Fedora\\x2040\\x20x86_64');
  });
});

describe('composeArgs', () => {
  it('drops quiet/rd.live.check/old locators, keeps the rest, and puts ours before ---', () => {
    expect(composeArgs(['file=/cdrom/preseed/ubuntu-server.seed', 'vga=788', 'quiet', '---', 'quiet'], ['file=/cdrom/preseed/ozkit.seed'], [], undefined)).toEqual([
      'vga=788',
      'file=/cdrom/preseed/ozkit.seed',
      'console=tty0',
      'console=ttyS0,115200n8',
      '---',
      'quiet',
    ]);
    expect(composeArgs(['inst.stage2=hd:LABEL=X', 'rd.live.check', 'quiet'], ['inst.ks=hd:LABEL=X:/ks.cfg'], [], undefined)).toEqual([
      'inst.stage2=hd:LABEL=X',
      'inst.ks=hd:LABEL=X:/ks.cfg',
      'console=tty0',
      'console=ttyS0,115200n8',
    ]);
  });

  it("orders locator, answer arguments, console, kernelparam; a later key replaces the media's in place", () => {
    expect(composeArgs(['vga=788', 'priority=low'], ['loc=1'], ['priority=critical'], 'vga=normal  foo')).toEqual([
      'vga=normal',
      'priority=critical',
      'loc=1',
      'console=tty0',
      'console=ttyS0,115200n8',
      'foo',
    ]);
  });

  it('adds no console when one is given anywhere', () => {
    expect(composeArgs([], [], [], 'console=ttyS1,9600')).toEqual(['console=ttyS1,9600']);
    expect(composeArgs(['console=ttyAMA0'], [], [], undefined)).toEqual(['console=ttyAMA0']);
  });
});
