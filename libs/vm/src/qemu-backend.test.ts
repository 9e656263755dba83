import { describe, expect, test } from 'vitest';
import { buildQemuArgs } from '@ozkit/qemu';
import { shutdownReason, vmOptions } from './qemu-backend.js';
import type { GuestDescription } from './vm-backend.js';

const base: GuestDescription = {
  arch: 'x86_64',
  accel: 'tcg',
  cpus: 2,
  memoryMiB: 1024,
  disks: [{ path: '/w/d.qcow2', format: 'qcow2', bus: 'virtio' }],
  consoleLog: '/w/console.log',
  runDir: '/w/run',
};
const paths = { qmpSocket: '/w/run/qmp.sock', pidFile: '/w/run/qemu.pid', netCapture: '/w/run/net.pcap', uefiVars: '/w/run/vars.fd' };
const argsOf = (d: GuestDescription, port?: number) => buildQemuArgs(vmOptions(d, port), paths);

describe('the QEMU backend', () => {
  test('SSH: one loopback port forwarded to guest port 22; no byte counting unless asked', () => {
    const args = argsOf({ ...base, network: { ssh: {} } }, 2222);
    expect(args).toContain('user,id=net0,hostfwd=tcp:127.0.0.1:2222-:22');
    expect(args.join(' ')).not.toContain('filter-dump');
    expect(argsOf({ ...base, network: { countBytes: true } }).join(' ')).toContain('filter-dump');
  });

  test('no network, another NIC model, reboot ending the guest, machine, firmware, QEMU arguments', () => {
    expect(argsOf({ ...base, network: false })).not.toContain('-netdev');
    expect(argsOf({ ...base, network: { model: 'e1000' } })).toContain('e1000,netdev=net0');
    expect(argsOf({ ...base, rebootEndsGuest: true })).toContain('-no-reboot');
    expect(argsOf(base)).not.toContain('-no-reboot');
    expect(argsOf({ ...base, machine: 'q35' })).toContain('q35,accel=tcg');
    expect(argsOf({ ...base, firmware: 'uefi' }).join(' ')).toContain('if=pflash');
    expect(argsOf({ ...base, qemuArgs: ['-S'] }).slice(-1)).toEqual(['-S']);
  });

  test("QMP's shutdown reasons in neutral words", () => {
    expect(shutdownReason('guest-shutdown')).toBe('guest-poweroff');
    expect(shutdownReason('guest-reset')).toBe('guest-reset');
    expect(shutdownReason('host-signal')).toBe('host-signal');
    expect(shutdownReason('host-qmp-quit')).toBe('host-request');
    expect(shutdownReason(undefined)).toBe('other');
  });
});
