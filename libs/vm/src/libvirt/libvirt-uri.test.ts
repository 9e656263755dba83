import { describe, expect, it } from 'vitest';
import { parseLibvirtUri } from './libvirt-uri.js';

describe('parseLibvirtUri', () => {
  it('takes a local system URI as local', () => {
    const u = parseLibvirtUri('qemu:///system');
    expect(u).toMatchObject({ driver: 'qemu', transport: undefined, host: undefined, path: '/system', remote: false });
  });

  it('takes an ssh URI apart: user, host, port, path and parameters', () => {
    const u = parseLibvirtUri('qemu+ssh://builder@hv2:2222/system?keyfile=/home/b/.ssh/id_ed25519&no_verify=1');
    expect(u).toMatchObject({ transport: 'ssh', user: 'builder', host: 'hv2', port: 2222, path: '/system', remote: true });
    expect(u.params.get('keyfile')).toBe('/home/b/.ssh/id_ed25519');
    expect(u.params.get('no_verify')).toBe('1');
  });

  it('accepts an IPv6 literal host', () => {
    expect(parseLibvirtUri('qemu+ssh://root@[::1]:22/system').host).toBe('::1');
  });

  it.each([
    ['xen:///system', /xen driver/],
    ['qemu+tcp://hv2/system', /tcp transport/],
    ['qemu+ssh:///system', /no host/],
    ['not a uri', /not a libvirt URI/],
  ])('refuses %s with a usage error', (uri, message) => {
    expect(() => parseLibvirtUri(uri)).toThrow(message);
    try {
      parseLibvirtUri(uri);
    } catch (error) {
      expect((error as { exitCode: number }).exitCode).toBe(64);
    }
  });
});
