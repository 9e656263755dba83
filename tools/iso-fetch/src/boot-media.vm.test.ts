/**
 * Boots what iso-fetch makes in QEMU (TCG) with the real Debian installer kernel and initrd:
 * the remastered ISO under BIOS (isolinux) and UEFI (OVMF + grub), and the direct kernel boot
 * with the preseed injected into the initrd. Proves the boot loaders pick our entry with our
 * arguments, and that d-i reads the injected preseed. The remastered ISO is what iso-fetch makes
 * by default, a qcow2 overlay on the original, attached as guest-install attaches it.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isoFetch } from './iso-fetch-stage.js';
import { buildFixtureIso, makeDocument, writeAnswer, type FixtureIso } from './fixtures/media-fixtures.test-support.js';

const DI = '/usr/lib/debian-installer/images/12/amd64/text/debian-installer/amd64';
const GCD = '/usr/lib/grub/x86_64-efi-signed/gcdx64.efi.signed';
const OVMF = '/usr/share/ovmf/OVMF.fd';
const ready = existsSync(`${DI}/linux`) && existsSync(GCD) && existsSync(OVMF);

let dir: string;
let fx: FixtureIso;

beforeAll(() => {
  if (!ready) return;
  dir = mkdtempSync(join(tmpdir(), 'ozkit-bootvm-'));
  fx = buildFixtureIso(dir, 'debian12', {
    efiBinary: GCD,
    files: {
      'install.amd/vmlinuz': readFileSync(`${DI}/linux`),
      'install.amd/initrd.gz': readFileSync(`${DI}/initrd.gz`),
      // As on real Debian media: the CD grub sources this, which sources the menu.
      'boot/grub/x86_64-efi/grub.cfg': 'source /boot/grub/grub.cfg\n',
    },
  });
}, 120_000);
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs QEMU until `want` shows up on the serial console or the deadline passes; always stops it. */
async function bootUntil(args: string[], want: RegExp, deadlineMs: number): Promise<string> {
  const log = join(dir, `serial-${Date.now()}.log`);
  const qemu = execa(
    'qemu-system-x86_64',
    ['-machine', 'pc,accel=tcg', '-m', '1024', '-display', 'none', '-no-reboot', '-serial', `file:${log}`, '-monitor', 'none', ...args],
    { reject: false },
  );
  const started = Date.now();
  try {
    while (Date.now() - started < deadlineMs) {
      await new Promise((r) => setTimeout(r, 1000));
      const text = existsSync(log) ? readFileSync(log, 'latin1') : '';
      if (want.test(text)) return text;
      if (qemu.exitCode !== null) return text;
    }
    return existsSync(log) ? readFileSync(log, 'latin1') : '';
  } finally {
    qemu.kill('SIGKILL');
    await qemu;
  }
}

/** The CD-ROM as guest-install's QEMU command line has it (libs/qemu qemu-args.ts): the format the document names; first boot device unless a kernel is booted (-kernel takes bootindex 0). */
function cdrom(iso: string, format: string | undefined, bootFromCd = true): string[] {
  return [
    '-drive',
    `file=${iso},format=${format ?? 'raw'},if=none,id=cd0,media=cdrom,readonly=on`,
    '-device',
    `ide-cd,drive=cd0${bootFromCd ? ',bootindex=0' : ''}`,
  ];
}

const settings = () => ({
  cacheDir: join(dir, 'cache'),
  offline: false,
  cacheOriginalMedia: true,
  cacheModifiedMedia: false,
  workdir: undefined,
  outputDir: undefined,
});

describe.runIf(ready)('booting iso-fetch output in QEMU', () => {
  it('BIOS: isolinux boots the d-i kernel with our command line, no key pressed', async () => {
    const workdir = join(dir, 'bios');
    const answer = writeAnswer(workdir, 'debian', 'preseed', ['priority=critical']);
    const out = await isoFetch(makeDocument({ workdir, os: fx.os, install: { type: 'iso', iso: fx.path, extras: [] }, answer, kernelparam: 'ignore_loglevel' }), {
      settings: settings(),
    });
    const boot = out.media!.boot;
    expect(boot).toMatchObject({ method: 'iso', isoFormat: 'qcow2', isoBacking: fx.path });
    const serial = await bootUntil(cdrom(boot.iso!, boot.isoFormat), /Kernel command line:.*file=\/cdrom\/preseed\/ozkit\.seed/, 240_000);
    expect(serial).toContain('ISOLINUX');
    expect(serial).toMatch(
      /Kernel command line:.*file=\/cdrom\/preseed\/ozkit\.seed priority=critical console=tty0 console=ttyS0,115200n8 ignore_loglevel --- quiet/,
    );
  }, 300_000);

  it('UEFI: grub boots our default entry with our command line', async () => {
    const workdir = join(dir, 'uefi');
    const answer = writeAnswer(workdir, 'debian', 'preseed', ['priority=critical']);
    const out = await isoFetch(makeDocument({ workdir, os: fx.os, install: { type: 'iso', iso: fx.path, extras: [] }, answer, kernelparam: 'ignore_loglevel' }), {
      settings: settings(),
    });
    const boot = out.media!.boot;
    expect(boot).toMatchObject({ method: 'iso', isoFormat: 'qcow2', isoBacking: fx.path });
    const serial = await bootUntil(['-bios', OVMF, ...cdrom(boot.iso!, boot.isoFormat)], /Kernel command line:.*file=\/cdrom\/preseed\/ozkit\.seed/, 420_000);
    expect(serial).toMatch(
      /Kernel command line:.*file=\/cdrom\/preseed\/ozkit\.seed priority=critical console=tty0 console=ttyS0,115200n8 ignore_loglevel --- quiet/,
    );
  }, 480_000);

  it('kernel boot: d-i reads the preseed injected into its initrd', async () => {
    const workdir = join(dir, 'kernel');
    const answer = writeAnswer(workdir, 'debian', 'preseed', ['priority=critical']);
    const text = 'd-i preseed/early_command string echo OZKIT-PRESEED-READ > /dev/ttyS0\nd-i debian-installer/locale string en_US\n';
    writeFileSync(answer.path, text);
    // iso-fetch checks the answer file against answer.sha256 (what ks-render wrote): record the new text's.
    answer.sha256 = createHash('sha256').update(text).digest('hex');
    const out = await isoFetch(makeDocument({ workdir, os: fx.os, install: { type: 'iso', iso: fx.path, extras: [] }, answer }), {
      settings: settings(),
      boot: 'kernel',
    });
    const boot = out.media!.boot;
    if (boot.method !== 'kernel') throw new Error('expected kernel boot');
    const serial = await bootUntil(
      ['-kernel', boot.kernel, '-initrd', boot.initrd, '-append', boot.append, ...cdrom(boot.iso!, boot.isoFormat, false)],
      /OZKIT-PRESEED-READ/,
      300_000,
    );
    expect(serial).toContain('OZKIT-PRESEED-READ');
  }, 360_000);
});
