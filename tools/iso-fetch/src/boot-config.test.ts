import { describe, expect, it } from 'vitest';
import { chooseInstallEntry } from './boot-entry.js';
import { grubQuote, grubWords, readGrubEntries, unattendedGrubConfig } from './grub-config.js';
import { readSyslinuxEntries, unattendedSyslinuxConfig } from './syslinux-config.js';
import { redhatGrubCfg, redhatIsolinuxCfg } from './fixtures/redhat-configs.test-support.js';
import { debianGrubCfg, debianIsolinux, ubuntu1804Isolinux, ubuntu2204GrubCfg } from './fixtures/debian-configs.test-support.js';

const reader =
  (files: Record<string, string>, dir = '/isolinux') =>
  (p: string) => {
    const name = p.startsWith(`${dir}/`) ? p.slice(dir.length + 1) : undefined;
    return name === undefined ? undefined : files[name];
  };

describe('syslinux configs', () => {
  it('follows includes and picks "Install", not the default "Test this media" (Red Hat)', () => {
    const entries = readSyslinuxEntries('/isolinux/isolinux.cfg', reader({ 'isolinux.cfg': redhatIsolinuxCfg('CentOS 7', 'CentOS 7', 'CentOS\\x207\\x20x86_64') }));
    expect(entries.map((e) => e.label)).toEqual(['linux', 'check', 'vesa', 'rescue', 'memtest']);
    expect(entries.find((e) => e.label === 'check')!.isDefault).toBe(true);
    expect(entries.find((e) => e.label === 'vesa')!.depth).toBe(1);
    const chosen = chooseInstallEntry(entries)!;
    expect(chosen).toMatchObject({
      label: 'linux',
      kernel: '/isolinux/vmlinuz',
      initrds: ['/isolinux/initrd.img'],
      args: ['inst.stage2=hd:LABEL=CentOS\\x207\\x20x86_64', 'quiet'],
    });
  });

  it('picks the text installer on Debian (not graphical, expert or automated) through nested includes', () => {
    const entries = readSyslinuxEntries('/isolinux/isolinux.cfg', reader(debianIsolinux));
    expect(entries.map((e) => e.label)).toEqual(expect.arrayContaining(['installgui', 'install', 'expert', 'auto', 'rescue']));
    expect(chooseInstallEntry(entries)).toMatchObject({ label: 'install', initrds: ['/install.amd/initrd.gz'], args: ['vga=788', '---', 'quiet'] });
  });

  it('picks "Install Ubuntu Server", not HWE, MAAS or the disc check', () => {
    expect(chooseInstallEntry(readSyslinuxEntries('/isolinux/isolinux.cfg', reader(ubuntu1804Isolinux)))).toMatchObject({
      label: 'install',
      kernel: '/install/vmlinuz',
    });
  });

  it('writes a replacement config with no UI and an immediate default', () => {
    const text = unattendedSyslinuxConfig({ kernel: '/k', initrds: ['/a', '/b'] }, ['x=1', 'y'], '/isolinux/isolinux.cfg');
    expect(text).toBe(
      'serial 0 115200\n# ozkit: unattended install; the original menu started at "/isolinux/isolinux.cfg" and was replaced\ndefault ozkit\nprompt 0\ntimeout 1\nlabel ozkit\n  kernel /k\n  append initrd=/a,/b x=1 y\n',
    );
  });
});

describe('grub configs', () => {
  it('reads entries with their linux/initrd commands, marking submenu ones', () => {
    const entries = readGrubEntries(redhatGrubCfg('CentOS 7', 'CentOS 7 x86_64', 'CentOS\\x207\\x20x86_64', 'linuxefi'));
    expect(entries.map((e) => [e.label, e.depth])).toEqual([
      ['Install CentOS 7', 0],
      ['Test this media & install CentOS 7', 0],
      ['Install CentOS 7 in basic graphics mode', 1],
      ['Rescue a CentOS 7 system', 1],
    ]);
    expect(chooseInstallEntry(entries)).toMatchObject({ kernelCommand: 'linuxefi', initrdCommand: 'initrdefi', kernel: '/images/pxeboot/vmlinuz' });
    expect(chooseInstallEntry(readGrubEntries(debianGrubCfg))).toMatchObject({ label: 'Install', initrds: ['/install.amd/initrd.gz'] });
    expect(chooseInstallEntry(readGrubEntries(ubuntu2204GrubCfg))).toMatchObject({ label: 'Try or Install Ubuntu Server', kernel: '/casper/vmlinuz' });
  });

  it('inserts the unattended entry before the first menu item and replaces default/timeout', () => {
    const text = unattendedGrubConfig(ubuntu2204GrubCfg, chooseInstallEntry(readGrubEntries(ubuntu2204GrubCfg))!, [
      'autoinstall',
      grubQuote('ds=nocloud;s=/cdrom/nocloud/'),
      '---',
    ]);
    const lines = text.split('\n');
    expect(lines[0]).toBe('set timeout=1');
    const at = lines.indexOf("menuentry 'ozkit: unattended install' --id ozkit-install {");
    expect(at).toBeGreaterThan(lines.indexOf('loadfont unicode'));
    expect(lines.slice(at - 1, at + 5)).toEqual([
      'set default="ozkit-install"',
      "menuentry 'ozkit: unattended install' --id ozkit-install {",
      '\tset gfxpayload=keep',
      "\tlinux /casper/vmlinuz autoinstall 'ds=nocloud;s=/cdrom/nocloud/' ---",
      '\tinitrd /casper/initrd',
      '}',
    ]);
    // The edited file parses back with ours first.
    expect(readGrubEntries(text)[0]).toMatchObject({ label: 'ozkit: unattended install', args: ['autoinstall', "'ds=nocloud;s=/cdrom/nocloud/'", '---'] });
  });

  it('splits words keeping quotes and escapes as written', () => {
    expect(grubWords(`linux /v 'a b' "c d" e\\ f`)).toEqual(['linux', '/v', "'a b'", '"c d"', 'e\\ f']);
    expect(grubQuote('inst.stage2=hd:LABEL=A\\x20B')).toBe('inst.stage2=hd:LABEL=A\\x20B');
    expect(grubQuote("it's;x")).toBe(`'it'\\''s;x'`);
  });
});
