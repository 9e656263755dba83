/**
 * A tiny guest for fast VM tests: the host's Debian kernel plus a busybox initrd whose
 * /init does what the kernel command line asks (`ozkit.mode=…`): write to the disk then
 * print the marker and power off, sleep, panic, reboot, or stay busy forever.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipMember, type NewcEntry } from '@ozkit/initrd';
import { needsPrograms } from '../../../test/support/missing-program.js';

needsPrograms('/bin/busybox');

export type TinyGuestMode = 'success' | 'nomarker' | 'inactive' | 'panic' | 'reboot' | 'forever' | 'sleep' | 'failed' | 'cdrom';

const MODULES = ['virtio_ring', 'virtio', 'virtio_pci_legacy_dev', 'virtio_pci_modern_dev', 'virtio_pci', 'virtio_blk'];
/** The IDE CD-ROM (/dev/sr0), loaded only in cdrom mode: ATA probing costs boot time the other modes need not pay. */
const CDROM_MODULES = ['scsi_common', 'scsi_mod', 'libata', 'ata_piix', 'cdrom', 'sr_mod'];

const INIT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in ${MODULES.join(' ')}; do insmod /lib/modules/$m.ko; done
arg() { sed -n "s/.*ozkit\\.$1=\\([^ ]*\\).*/\\1/p" /proc/cmdline; }
mode=$(arg mode)
marker=$(arg marker | tr ':' ' ')
say() { echo "$*" > /dev/ttyS0; }
i=0; while [ ! -b /dev/vda ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
say "tiny-guest: mode $mode"
write() { dd if=/dev/urandom of=/dev/vda bs=1M count=\${1:-4} conv=fsync 2>/dev/null; say "tiny-guest: wrote \${1:-4} MiB"; }
case "$mode" in
  success) write 4; say "$marker"; poweroff -f ;;
  nomarker) write 2; poweroff -f ;;
  inactive) write 2; say "tiny-guest: now idle"; while true; do sleep 3600; done ;;
  panic) write 1; say "tiny-guest: crashing"; echo c > /proc/sysrq-trigger ;;
  reboot) write 2; say "$marker"; reboot -f ;;
  cdrom)
    for m in ${CDROM_MODULES.join(' ')}; do insmod /lib/modules/$m.ko; done
    i=0; while [ ! -b /dev/sr0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
    # Each 2 KiB block named by ozkit.cdblocks (comma-separated), its first 32 bytes as printable text.
    for b in $(arg cdblocks | tr ',' ' '); do say "tiny-guest: cd block $b: $(dd if=/dev/sr0 bs=2048 skip=$b count=1 2>/dev/null | head -c 32 | tr -c 'A-Za-z0-9-' '.')"; done
    say "$marker"; poweroff -f ;;
  failed) write 1; say "$(arg failed | tr ':' ' '): late command failed"; while true; do sleep 3600; done ;;
  forever) while true; do dd if=/dev/urandom of=/dev/vda bs=64k count=4 conv=fsync 2>/dev/null; say "tiny-guest: busy $(date +%s)"; sleep 1; done ;;
  *) say "tiny-guest: sleeping"; while true; do sleep 3600; done ;;
esac
`;

export function hostKernel(): { kernel: string; version: string } {
  const kernels = readdirSync('/boot')
    .filter((f) => f.startsWith('vmlinuz-'))
    .sort();
  if (kernels.length === 0) throw new Error('no /boot/vmlinuz-* (apt-get install linux-image-amd64)');
  const file = kernels[kernels.length - 1];
  return { kernel: join('/boot', file), version: file.slice('vmlinuz-'.length) };
}

/** Writes the tiny guest's initrd to `dir/tiny-initrd.gz`; returns kernel + initrd paths. */
export function buildTinyGuest(dir: string): { kernel: string; initrd: string } {
  const { kernel, version } = hostKernel();
  const entries: NewcEntry[] = [
    { name: 'bin', type: 'directory', mode: 0o755 },
    { name: 'proc', type: 'directory', mode: 0o755 },
    { name: 'sys', type: 'directory', mode: 0o755 },
    { name: 'dev', type: 'directory', mode: 0o755 },
    { name: 'lib', type: 'directory', mode: 0o755 },
    { name: 'lib/modules', type: 'directory', mode: 0o755 },
    { name: 'bin/busybox', type: 'file', mode: 0o755, data: readFileSync('/bin/busybox') },
    { name: 'init', type: 'file', mode: 0o755, data: INIT },
  ];
  for (const m of [...MODULES, ...CDROM_MODULES]) {
    const found = findModule(version, m);
    entries.push({ name: `lib/modules/${m}.ko`, type: 'file', mode: 0o644, data: readFileSync(found) });
  }
  const initrd = join(dir, 'tiny-initrd.gz');
  writeFileSync(initrd, gzipMember(entries));
  return { kernel, initrd };
}

function findModule(version: string, name: string): string {
  const root = `/lib/modules/${version}/kernel`;
  const wanted = new Set([`${name}.ko`, `${name.replace(/_/g, '-')}.ko`]);
  const stack = [root];
  while (stack.length) {
    const dir = stack.pop()!;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) stack.push(join(dir, entry.name));
      else if (wanted.has(entry.name)) return join(dir, entry.name);
    }
  }
  throw new Error(`kernel module ${name} not found under ${root}`);
}

/** Kernel command line for a mode; the marker's spaces travel as ':'. */
export function tinyGuestAppend(mode: TinyGuestMode, marker = 'OZKIT-INSTALL-COMPLETE test', failedMarker = 'OZKIT-INSTALL-FAILED test'): string {
  return `console=ttyS0,115200n8 panic=0 ozkit.mode=${mode} ozkit.marker=${marker.replace(/ /g, ':')} ozkit.failed=${failedMarker.replace(/ /g, ':')}`;
}
