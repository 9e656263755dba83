import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listInitrd } from '@ozkit/initrd';
import { isoFetch } from './iso-fetch-stage.js';
import {
  buildFixtureIso,
  dropIsoViews,
  elTorito,
  isoFile,
  isoView,
  makeDocument,
  writeAnswer,
  type FixtureIso,
  type LayoutName,
} from './fixtures/media-fixtures.test-support.js';

let dir: string;
const fixtures = new Map<LayoutName, FixtureIso>();
const layouts: LayoutName[] = ['centos7', 'rocky9', 'fedora40', 'debian12', 'ubuntu1804', 'ubuntu2204'];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ozkit-remaster-'));
  for (const l of layouts) fixtures.set(l, buildFixtureIso(join(dir, 'isos'), l));
}, 120_000);
afterAll(() => {
  dropIsoViews();
  rmSync(dir, { recursive: true, force: true });
});

function settings(name: string, modified = false, bootIsoFormat?: 'qcow2' | 'raw') {
  return {
    cacheDir: join(dir, `cache-${name}`),
    offline: false,
    cacheOriginalMedia: true,
    cacheModifiedMedia: modified,
    workdir: undefined,
    outputDir: undefined,
    ...(bootIsoFormat ? { bootIsoFormat } : {}),
  };
}

async function run(
  layout: LayoutName,
  boot: 'iso' | 'kernel',
  opts: { kernelArgs?: string[]; kernelparam?: string; modified?: boolean; tag?: string; bootIsoFormat?: 'qcow2' | 'raw' } = {},
) {
  const fx = fixtures.get(layout)!;
  const workdir = join(dir, `work-${layout}-${boot}-${opts.tag ?? ''}`);
  const answer = writeAnswer(workdir, fx.family, fx.format, opts.kernelArgs ?? []);
  const doc = makeDocument({ workdir, os: fx.os, install: { type: 'iso', iso: fx.path, extras: [] }, answer, kernelparam: opts.kernelparam });
  const out = await isoFetch(doc, { settings: settings(`${layout}-${opts.tag ?? ''}`, opts.modified, opts.bootIsoFormat), boot });
  return { fx, out, answer, workdir };
}

function toc(iso: string): string {
  return execFileSync('xorriso', ['-indev', isoView(iso), '-toc'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
}

function bootRecord(iso: string): string {
  return /Boot record\s*:\s*(.*)/.exec(toc(iso))?.[1] ?? '';
}

function volid(iso: string): string {
  const info = execFileSync('xorriso', ['-indev', isoView(iso), '-pvd_info'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return /^Volume Id\s*:\s?(.*)$/m.exec(info)?.[1] ?? '';
}

/** El Torito lines without LBAs (those move when the image is rewritten). */
function entries(iso: string): string[] {
  return elTorito(iso)
    .split('\n')
    .filter((l) => /^El Torito (boot img|img path|img opts)/.test(l))
    .map((l) => l.replace(/\s+\d+\s*$/, '').replace(/\s+/g, ' '));
}

const CONSOLE = 'console=tty0 console=ttyS0,115200n8';

const expectedIsolinux: Partial<Record<LayoutName, { kernel: string; append: string }>> = {
  centos7: {
    kernel: '/isolinux/vmlinuz',
    append: `initrd=/isolinux/initrd.img inst.stage2=hd:LABEL=CentOS\\x207\\x20x86_64 inst.ks=hd:LABEL=CentOS\\x207\\x20x86_64:/ks.cfg ${CONSOLE}`,
  },
  rocky9: {
    kernel: '/isolinux/vmlinuz',
    append: `initrd=/isolinux/initrd.img inst.stage2=hd:LABEL=Rocky-9-4-x86_64-dvd inst.ks=hd:LABEL=Rocky-9-4-x86_64-dvd:/ks.cfg ${CONSOLE}`,
  },
  debian12: { kernel: '/install.amd/vmlinuz', append: `initrd=/install.amd/initrd.gz vga=788 file=/cdrom/preseed/ozkit.seed ${CONSOLE} --- quiet` },
  ubuntu1804: { kernel: '/install/vmlinuz', append: `initrd=/install/initrd.gz vga=788 file=/cdrom/preseed/ozkit.seed ${CONSOLE} ---` },
};

const expectedGrub: Record<LayoutName, Record<string, string>> = {
  centos7: {
    '/EFI/BOOT/grub.cfg': `linuxefi /images/pxeboot/vmlinuz inst.stage2=hd:LABEL=CentOS\\x207\\x20x86_64 inst.ks=hd:LABEL=CentOS\\x207\\x20x86_64:/ks.cfg ${CONSOLE}`,
  },
  rocky9: {
    '/EFI/BOOT/grub.cfg': `linux /images/pxeboot/vmlinuz inst.stage2=hd:LABEL=Rocky-9-4-x86_64-dvd inst.ks=hd:LABEL=Rocky-9-4-x86_64-dvd:/ks.cfg ${CONSOLE}`,
  },
  fedora40: {
    '/EFI/BOOT/grub.cfg': `linux /images/pxeboot/vmlinuz inst.stage2=hd:LABEL=Fedora-S-dvd-x86_64-40 inst.ks=hd:LABEL=Fedora-S-dvd-x86_64-40:/ks.cfg ${CONSOLE}`,
    '/boot/grub2/grub.cfg': `linux /images/pxeboot/vmlinuz inst.stage2=hd:LABEL=Fedora-S-dvd-x86_64-40 inst.ks=hd:LABEL=Fedora-S-dvd-x86_64-40:/ks.cfg ${CONSOLE}`,
  },
  debian12: { '/boot/grub/grub.cfg': `linux /install.amd/vmlinuz vga=788 file=/cdrom/preseed/ozkit.seed ${CONSOLE} --- quiet` },
  ubuntu1804: { '/boot/grub/grub.cfg': `linux /install/vmlinuz file=/cdrom/preseed/ozkit.seed ${CONSOLE} ---` },
  ubuntu2204: { '/boot/grub/grub.cfg': `linux /casper/vmlinuz autoinstall 'ds=nocloud;s=/cdrom/nocloud/' ${CONSOLE} ---` },
};

describe.each(layouts)('remastering %s media', (layout) => {
  let result: Awaited<ReturnType<typeof run>>;
  beforeAll(async () => {
    result = await run(layout, 'iso');
  }, 120_000);

  it('writes a boot ISO that keeps the volume ID, both El Torito entries and the hybrid boot record', () => {
    const { fx, out } = result;
    const boot = out.media!.boot;
    expect(boot.method).toBe('iso');
    if (boot.method !== 'iso') return;
    expect(existsSync(boot.iso)).toBe(true);
    // The digest is of the file written: for an overlay, the overlay file (its medium is that over isoBacking).
    expect(boot.sha256).toBe(execFileSync('sha256sum', [boot.iso], { encoding: 'utf8' }).split(' ')[0]);
    if (layout === 'ubuntu2204') {
      // Its appended ESP partition would be overwritten by a grown session: a complete new image, always raw.
      expect(boot).toMatchObject({ isoFormat: 'raw', iso: expect.stringMatching(/\/boot\.iso$/) });
      expect(boot.isoBacking).toBeUndefined();
    } else {
      expect(boot).toMatchObject({ isoFormat: 'qcow2', isoBacking: fx.path, iso: expect.stringMatching(/\/boot\.qcow2$/) });
      const info = JSON.parse(execFileSync('qemu-img', ['info', '--output=json', boot.iso], { encoding: 'utf8' })) as Record<string, unknown>;
      expect(info).toMatchObject({ format: 'qcow2', 'backing-filename': fx.path, 'backing-filename-format': 'raw' });
      // Only the changes are in it.
      expect(readFileSync(boot.iso).length).toBeLessThan(readFileSync(fx.path).length);
    }
    expect(volid(boot.iso)).toBe(fx.volumeId);
    expect(out.media!.volumeId).toBe(fx.volumeId);
    const before = entries(fx.path);
    expect(before.filter((l) => l.startsWith('El Torito boot img')).map((l) => l.split(' ')[6])).toEqual(['BIOS', 'UEFI']);
    expect(entries(boot.iso)).toEqual(before);
    expect(bootRecord(fx.path)).toMatch(/^El Torito , MBR /);
    expect(bootRecord(boot.iso)).toBe(bootRecord(fx.path));
    expect(out.media!.original).toMatchObject({ kind: 'iso', path: fx.path, bytes: readFileSync(fx.path).length, fromCache: false, verified: null });
  });

  it('puts the answer file where the installer is told to look', () => {
    const { out, answer } = result;
    const iso = (out.media!.boot as { iso: string }).iso;
    expect(isoFile(iso, answer.placement.onIso, dir)).toBe(readFileSync(answer.path, 'latin1'));
    for (const extra of answer.extraFiles ?? []) expect(isoFile(iso, `/nocloud/${extra.name}`, dir)).toBe(readFileSync(extra.path, 'latin1'));
  });

  it('makes the BIOS menu boot the install entry at once', () => {
    const want = expectedIsolinux[layout];
    const iso = (result.out.media!.boot as { iso: string }).iso;
    if (!want) {
      expect(result.out.media!.layout).toMatchObject({ syslinux: null });
      return;
    }
    const cfg = isoFile(iso, '/isolinux/isolinux.cfg', dir);
    expect(cfg.split('\n')[0]).toBe('serial 0 115200');
    expect(cfg).toMatch(/^default ozkit$/m);
    expect(cfg).toMatch(/^prompt 0$/m);
    expect(cfg).toMatch(/^timeout 1$/m);
    expect(cfg).not.toMatch(/vesamenu|gfxboot|^ui /m);
    expect(cfg).toContain(`  kernel ${want.kernel}\n`);
    expect(cfg).toContain(`  append ${want.append}\n`);
  });

  it('makes every UEFI/grub menu default to an unattended entry with a 1 s timeout', () => {
    const iso = (result.out.media!.boot as { iso: string }).iso;
    for (const [path, linux] of Object.entries(expectedGrub[layout])) {
      const cfg = isoFile(iso, path, dir);
      expect(cfg).toContain(`menuentry 'ozkit: unattended install' --id ozkit-install {`);
      expect(cfg).toContain(`\t${linux}\n`);
      expect(cfg).toMatch(/set default="ozkit-install"/);
      expect(cfg).not.toMatch(/set timeout=(30|60)/);
      expect(cfg).toMatch(/set timeout=1/);
      // Setup that precedes the menu (finding the CD by label) still runs first.
      if (layout !== 'debian12' && layout.startsWith('ubuntu') === false)
        expect(cfg.indexOf('search --no-floppy --set=root')).toBeLessThan(cfg.indexOf('ozkit: unattended install'));
      // The original entries are still there for a person who wants them.
      expect(cfg.match(/^\s*menuentry /gm)!.length).toBeGreaterThan(2);
    }
  });

  it('edits the grub.cfg inside the EFI boot image where the media boots from it (Red Hat)', () => {
    const iso = (result.out.media!.boot as { iso: string }).iso;
    const out = join(dir, `boot-images-${layout}`);
    execFileSync('xorriso', ['-osirrox', 'on', '-indev', isoView(iso), '-extract_boot_images', out], { stdio: 'ignore' });
    const esp = join(out, 'eltorito_img2_uefi.img');
    if (['centos7', 'rocky9', 'fedora40'].includes(layout)) {
      const cfg = execFileSync('mtype', ['-i', esp, '::/EFI/BOOT/grub.cfg'], { encoding: 'latin1' });
      expect(cfg).toContain(`\t${expectedGrub[layout]['/EFI/BOOT/grub.cfg']}\n`);
      expect(cfg).toMatch(/set default="ozkit-install"/);
      expect(result.out.media!.remaster).toMatchObject({ edited: expect.arrayContaining([expect.stringMatching(/efiboot\.img::\/EFI\/BOOT\/grub\.cfg$/)]) });
    } else {
      // Debian/Ubuntu ESPs hold a stub that loads the ISO's grub.cfg: left as it was.
      expect(execFileSync('mdir', ['-/', '-b', '-i', esp, '::/'], { encoding: 'latin1' })).toMatch(/grub\.cfg/);
      expect(JSON.stringify(result.out.media!.remaster)).not.toContain('::/');
    }
  });
});

describe('boot ISO options', () => {
  it('bootIsoFormat raw writes a plain ISO of its own, the same medium the overlay presents', async () => {
    const raw = await run('debian12', 'iso', { tag: 'raw', bootIsoFormat: 'raw' });
    const overlay = await run('debian12', 'iso', { tag: 'overlay', bootIsoFormat: 'qcow2' });
    const plain = raw.out.media!.boot as { iso: string; sha256: string; isoFormat?: string; isoBacking?: string };
    expect(plain).toMatchObject({ isoFormat: 'raw', iso: join(raw.workdir, 'media', 'boot.iso') });
    expect(plain.isoBacking).toBeUndefined();
    expect(plain.sha256).toBe(execFileSync('sha256sum', [plain.iso], { encoding: 'utf8' }).split(' ')[0]);
    expect(volid(plain.iso)).toBe(raw.fx.volumeId);
    expect(isoFile(plain.iso, '/isolinux/isolinux.cfg', dir)).toBe(isoFile((overlay.out.media!.boot as { iso: string }).iso, '/isolinux/isolinux.cfg', dir));
    // Switching formats in one build directory leaves one boot medium.
    const again = await isoFetch(makeDocument({ workdir: raw.workdir, os: raw.fx.os, install: { type: 'iso', iso: raw.fx.path, extras: [] }, answer: raw.answer }), {
      settings: settings('raw-again', false, 'qcow2'),
    });
    expect((again.media!.boot as { iso: string }).iso).toBe(join(raw.workdir, 'media', 'boot.qcow2'));
    expect(existsSync(plain.iso)).toBe(false);
  }, 120_000);

  it("adds the answer file's kernel arguments and the TDL kernelparam, last wins", async () => {
    const { out } = await run('debian12', 'iso', { kernelArgs: ['priority=critical', 'locale=en_US'], kernelparam: 'vga=normal net.ifnames=0', tag: 'args' });
    const iso = (out.media!.boot as { iso: string }).iso;
    const cfg = isoFile(iso, '/isolinux/isolinux.cfg', dir);
    expect(cfg).toContain(
      `append initrd=/install.amd/initrd.gz vga=normal file=/cdrom/preseed/ozkit.seed priority=critical locale=en_US ${CONSOLE} net.ifnames=0 --- quiet`,
    );
  });

  it('does not add a serial console when the answer already names one', async () => {
    const { out } = await run('centos7', 'iso', { kernelArgs: ['console=ttyS1'], tag: 'console' });
    const cfg = isoFile((out.media!.boot as { iso: string }).iso, '/isolinux/isolinux.cfg', dir);
    expect(cfg).toContain('inst.ks=hd:LABEL=CentOS\\x207\\x20x86_64:/ks.cfg console=ttyS1\n');
  });

  it('caches modified media by (media, answer, arguments) and reuses it', async () => {
    const fx = fixtures.get('rocky9')!;
    const workdir = join(dir, 'work-modcache');
    const answer = writeAnswer(workdir, fx.family, fx.format);
    const doc = () => makeDocument({ workdir, os: fx.os, install: { type: 'iso', iso: fx.path, extras: [] }, answer });
    const s = settings('modcache', true);
    const first = await isoFetch(doc(), { settings: s });
    const second = await isoFetch(doc(), { settings: s });
    expect(first.media!.remaster).toMatchObject({ fromCache: false });
    expect(second.media!.remaster).toMatchObject({ fromCache: true });
    expect(second.media!.boot).toEqual(first.media!.boot);
    expect((first.media!.boot as { iso: string }).iso.startsWith(join(s.cacheDir, 'modified'))).toBe(true);
    expect(first.media!.boot).toMatchObject({ isoFormat: 'qcow2', isoBacking: fx.path });
    // The plain ISO is another object, and so is an overlay on another copy of the same media.
    const plain = await isoFetch(doc(), { settings: { ...s, bootIsoFormat: 'raw' as const } });
    expect(plain.media!.remaster).toMatchObject({ fromCache: false });
    expect(plain.media!.boot).toMatchObject({ isoFormat: 'raw' });
    const copy = join(dir, 'rocky9-copy.iso');
    copyFileSync(fx.path, copy);
    const elsewhere = await isoFetch(makeDocument({ workdir, os: fx.os, install: { type: 'iso', iso: copy, extras: [] }, answer }), { settings: s });
    expect(elsewhere.media!.remaster).toMatchObject({ fromCache: false });
    expect(elsewhere.media!.boot).toMatchObject({ isoFormat: 'qcow2', isoBacking: copy });
    // A different answer file is a different ISO.
    // (as ks-render would write it: the document records the new file's sha256).
    writeFileSync(answer.path, 'text\npoweroff\n');
    answer.sha256 = createHash('sha256').update('text\npoweroff\n').digest('hex');
    const third = await isoFetch(doc(), { settings: s });
    expect(third.media!.remaster).toMatchObject({ fromCache: false });
    expect((third.media!.boot as { iso: string }).iso).not.toBe((first.media!.boot as { iso: string }).iso);
    expect(isoFile((third.media!.boot as { iso: string }).iso, '/ks.cfg', dir)).toBe('text\npoweroff\n');
  }, 120_000);
});

describe('TDL ISO extras', () => {
  it('copies extra files and directories onto the ISO (also for a kernel boot, which then attaches it)', async () => {
    const fx = fixtures.get('centos7')!;
    const workdir = join(dir, 'work-extras');
    const answer = writeAnswer(workdir, fx.family, fx.format);
    const extraDir = join(workdir, 'extra-repo');
    mkdirSync(join(extraDir, 'repodata'), { recursive: true });
    writeFileSync(join(extraDir, 'repodata', 'repomd.xml'), '<repomd/>');
    writeFileSync(join(workdir, 'driver.rpm'), 'rpm');
    const doc = () =>
      makeDocument({
        workdir,
        os: fx.os,
        install: {
          type: 'iso',
          iso: fx.path,
          extras: [
            { kind: 'directory', source: 'extra-repo', destination: '/extra' },
            { kind: 'file', source: join(workdir, 'driver.rpm'), destination: 'drivers/driver.rpm' },
          ],
        },
        answer,
      });
    for (const boot of ['iso', 'kernel'] as const) {
      const out = await isoFetch(doc(), { settings: settings(`extras-${boot}`), boot });
      const media = out.media!.boot;
      const iso = media.method === 'iso' ? media.iso : media.iso!;
      expect(iso).not.toBe(fx.path);
      expect(isoFile(iso, '/extra/repodata/repomd.xml', dir)).toBe('<repomd/>');
      expect(isoFile(iso, '/drivers/driver.rpm', dir)).toBe('rpm');
    }
    const missing = makeDocument({
      workdir,
      os: fx.os,
      install: { type: 'iso', iso: fx.path, extras: [{ kind: 'file', source: 'nope.rpm', destination: '/x' }] },
      answer,
    });
    await expect(isoFetch(missing, { settings: settings('extras-missing') })).rejects.toMatchObject({
      code: 'INPUT_MISSING',
      message: expect.stringContaining('<extras> file nope.rpm: not found'),
    });
  }, 120_000);
});

describe.each(layouts)('direct kernel boot from %s media', (layout) => {
  it('extracts kernel and initrd, injects the answer file and composes the command line', async () => {
    const { fx, out, answer } = await run(layout, 'kernel');
    const boot = out.media!.boot;
    expect(boot.method).toBe('kernel');
    if (boot.method !== 'kernel') return;
    expect(readFileSync(boot.kernel, 'latin1')).toMatch(/^kernel /);
    const members = listInitrd(readFileSync(boot.initrd));
    expect(members[0].name).toBe('init');
    if (fx.format === 'autoinstall') {
      // subiquity reads the answer from the CD: the attached ISO carries it.
      expect(boot.iso).not.toBe(fx.path);
      expect(isoFile(boot.iso!, '/nocloud/user-data', dir)).toBe(readFileSync(answer.path, 'latin1'));
      expect(boot.append).toBe(`autoinstall ds=nocloud;s=/cdrom/nocloud/ ${CONSOLE} ---`);
      return;
    }
    // The installer still reads packages/stage2 from the original CD.
    expect(boot.iso).toBe(fx.path);
    const last = members.at(-1)!;
    expect('/' + last.name).toBe(answer.placement.inInitrd);
    expect(last.data.toString()).toBe(readFileSync(answer.path, 'utf8'));
    expect(last.mode).toBe(0o600);
    const expected: Record<string, string> = {
      centos7: `inst.stage2=hd:LABEL=CentOS\\x207\\x20x86_64 inst.ks=file:/ks.cfg ${CONSOLE}`,
      rocky9: `inst.stage2=hd:LABEL=Rocky-9-4-x86_64-dvd inst.ks=file:/ks.cfg ${CONSOLE}`,
      fedora40: `inst.stage2=hd:LABEL=Fedora-S-dvd-x86_64-40 inst.ks=file:/ks.cfg ${CONSOLE}`,
      debian12: `vga=788 ${CONSOLE} --- quiet`,
      ubuntu1804: `vga=788 ${CONSOLE} ---`,
    };
    expect(boot.append).toBe(expected[layout]);
    // Running again over the same build directory replaces the files cleanly.
    const again = await isoFetch(
      makeDocument({ workdir: join(dir, `work-${layout}-kernel-`), os: fx.os, install: { type: 'iso', iso: fx.path, extras: [] }, answer }),
      { settings: settings(`${layout}-`), boot: 'kernel' },
    );
    expect(again.media!.boot).toEqual(boot);
    expect(readdirSync(join(dir, `work-${layout}-kernel-`, 'media')).filter((f) => f.startsWith('.'))).toEqual([]);
  }, 120_000);
});
