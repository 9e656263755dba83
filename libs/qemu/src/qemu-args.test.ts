import { describe, expect, test } from 'vitest';
import { buildQemuArgs, qemuOptionValue } from './qemu-args.js';
import type { VmOptions, VmPaths } from './vm-options.js';

const paths: VmPaths = { qmpSocket: '/run/q.sock', pidFile: '/run/q.pid', netCapture: '/run/net.pcap', uefiVars: '/run/vars.fd' };
const base: VmOptions = {
  arch: 'x86_64',
  accel: 'tcg',
  cpus: 2,
  memoryMiB: 1024,
  disks: [{ path: '/w/disk.qcow2', format: 'qcow2', bus: 'virtio' }],
  runDir: '/run',
  consoleLog: '/w/install-console.log',
};

const pairs = (args: string[], flag: string) => args.flatMap((a, i) => (a === flag ? [args[i + 1]] : []));

describe('buildQemuArgs', () => {
  test('a virtio disk with discard, serial to the console log, QMP, pidfile, no defaults', () => {
    const args = buildQemuArgs(base, paths);
    expect(pairs(args, '-machine')).toEqual(['pc,accel=tcg']);
    expect(pairs(args, '-smp')).toEqual(['2']);
    expect(pairs(args, '-m')).toEqual(['1024M']);
    expect(args).toContain('-nodefaults');
    expect(pairs(args, '-qmp')).toEqual(['unix:/run/q.sock,server=on,wait=off']);
    expect(pairs(args, '-pidfile')).toEqual(['/run/q.pid']);
    expect(pairs(args, '-chardev')).toEqual(['file,id=serial0,path=/w/install-console.log']);
    expect(pairs(args, '-drive')[0]).toBe('file=/w/disk.qcow2,format=qcow2,if=none,id=disk0,cache=writeback,discard=unmap,detect-zeroes=unmap');
    expect(pairs(args, '-device')).toContain('virtio-blk-pci,drive=disk0,bootindex=1');
    expect(args).not.toContain('-no-reboot');
    expect(args).not.toContain('-cpu');
  });

  test('an ISO install boots the CD first, on IDE, and -no-reboot ends the run at the reboot', () => {
    const args = buildQemuArgs({ ...base, cdrom: '/m/boot.iso', noReboot: true }, paths);
    expect(args).toContain('-no-reboot');
    expect(pairs(args, '-drive')).toContain('file=/m/boot.iso,format=raw,if=none,id=cd0,media=cdrom,readonly=on');
    expect(pairs(args, '-device')).toContain('ide-cd,drive=cd0,bus=ide.0,unit=0,bootindex=0');
    expect(pairs(args, '-device')).toContain('virtio-blk-pci,drive=disk0');
  });

  test('a qcow2 CD-ROM (an overlay on the original ISO) is opened as qcow2, still read-only', () => {
    const args = buildQemuArgs({ ...base, cdrom: '/m/boot.qcow2', cdromFormat: 'qcow2' }, paths);
    expect(pairs(args, '-drive')).toContain('file=/m/boot.qcow2,format=qcow2,if=none,id=cd0,media=cdrom,readonly=on');
  });

  test('IDE disks and CD share the two IDE buses', () => {
    const args = buildQemuArgs({ ...base, disks: [{ ...base.disks[0], bus: 'ide' }], cdrom: '/m/a.iso', boot: 'disk' }, paths);
    expect(pairs(args, '-device')).toContain('ide-hd,drive=disk0,bus=ide.0,unit=0,bootindex=1');
    expect(pairs(args, '-device')).toContain('ide-cd,drive=cd0,bus=ide.0,unit=1');
  });

  test('direct kernel boot, KVM, snapshot disk, forwards bound to loopback, network capture', () => {
    const args = buildQemuArgs(
      {
        ...base,
        accel: 'kvm',
        disks: [{ ...base.disks[0], snapshot: true, discard: false }],
        kernel: { kernel: '/k/linux', initrd: '/k/initrd.gz', append: 'console=ttyS0 priority=critical' },
        hostForwards: [{ hostPort: 2222, guestPort: 22 }],
      },
      paths,
    );
    expect(pairs(args, '-cpu')).toEqual(['host']);
    expect(pairs(args, '-append')).toEqual(['console=ttyS0 priority=critical']);
    expect(pairs(args, '-drive')[0]).toBe('file=/w/disk.qcow2,format=qcow2,if=none,id=disk0,cache=writeback,snapshot=on');
    expect(pairs(args, '-netdev')).toEqual(['user,id=net0,hostfwd=tcp:127.0.0.1:2222-:22']);
    expect(pairs(args, '-object')).toContain('filter-dump,id=netdump0,netdev=net0,file=/run/net.pcap,maxlen=14');
  });

  test('a disk asked for cache=unsafe (the install disk) gets it; others keep writeback', () => {
    const args = buildQemuArgs(
      {
        ...base,
        disks: [
          { ...base.disks[0], cache: 'unsafe' },
          { ...base.disks[0], path: '/w/other.qcow2' },
        ],
      },
      paths,
    );
    expect(pairs(args, '-drive')[0]).toBe('file=/w/disk.qcow2,format=qcow2,if=none,id=disk0,cache=unsafe,discard=unmap,detect-zeroes=unmap');
    expect(pairs(args, '-drive')[1]).toContain(',cache=writeback,');
  });

  test('UEFI adds the OVMF code (read-only) and a private variables copy', () => {
    const args = buildQemuArgs({ ...base, firmware: 'uefi' }, paths);
    expect(pairs(args, '-drive').filter((d) => d.startsWith('if=pflash'))).toEqual([
      'if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd',
      'if=pflash,format=raw,unit=1,file=/run/vars.fd',
    ]);
  });

  test('commas in paths are escaped; no NIC means no netdev', () => {
    expect(qemuOptionValue('/a,b/c')).toBe('/a,,b/c');
    const args = buildQemuArgs({ ...base, nic: false, disks: [{ ...base.disks[0], path: '/w/x,y.qcow2' }] }, paths);
    expect(pairs(args, '-drive')[0]).toMatch(/^file=\/w\/x,,y\.qcow2,/);
    expect(args).not.toContain('-netdev');
  });

  test('unknown architectures and too many IDE devices are refused', () => {
    expect(() => buildQemuArgs({ ...base, arch: 'mips' }, paths)).toThrow(/no QEMU machine known/);
    const ide = { ...base.disks[0], bus: 'ide' as const };
    expect(() => buildQemuArgs({ ...base, disks: [ide, ide, ide, ide], cdrom: '/x.iso' }, paths)).toThrow(/more than 4 IDE/);
  });
});
