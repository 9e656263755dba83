import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GUEST_MAC, configDriveFiles, nocloudFiles, randomIdentity, writeMetadataIso } from './cloud-metadata.js';

const work = mkdtempSync(join(tmpdir(), 'ozkit-verify-metadata-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOzkitVerifyUserKey0123456789abcdefghijklmn ozkit-image-verify';

/** What xorriso itself reads back from the volume: its label and one file's bytes. */
function readBack(iso: string, path: string): { label: string; text: string } {
  const pvd = execFileSync('xorriso', ['-indev', iso, '-pvd_info'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const label = /^Volume Id\s*:\s*(\S+)/m.exec(pvd)?.[1] ?? '';
  const out = join(work, `extract-${Math.random().toString(36).slice(2)}`);
  execFileSync('xorriso', ['-osirrox', 'on', '-indev', iso, '-extract', `/${path}`, out], { stdio: 'ignore' });
  return { label, text: execFileSync('cat', [out], { encoding: 'utf8' }) };
}

describe('cloud metadata volumes', () => {
  it('makes a random identity per run', () => {
    const a = randomIdentity(key);
    const b = randomIdentity(key);
    expect(a.hostname).toMatch(/^ozkit-verify-[0-9a-f]{6}$/);
    expect(a.instanceId).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.hostname).not.toBe(b.hostname);
    expect(a.instanceId).not.toBe(b.instanceId);
  });

  it('writes an OpenStack config drive (label config-2) with meta_data.json, network_data.json and user_data', async () => {
    const identity = randomIdentity(key);
    const iso = await writeMetadataIso('config-drive', identity, join(work, 'cd'), join(work, 'cd.iso'));
    const meta = readBack(iso, 'openstack/latest/meta_data.json');
    expect(meta.label).toBe('config-2');
    expect(JSON.parse(meta.text)).toMatchObject({ uuid: identity.instanceId, hostname: identity.hostname, public_keys: { 'ozkit-verify': key } });
    const network = JSON.parse(readBack(iso, 'openstack/latest/network_data.json').text);
    expect(network.links[0]).toMatchObject({ type: 'phy', ethernet_mac_address: GUEST_MAC });
    expect(network.networks[0]).toMatchObject({ type: 'ipv4_dhcp', link: network.links[0].id });
    expect(readBack(iso, 'openstack/latest/user_data').text).toMatch(/^#cloud-config\n/);
    expect(Object.keys(configDriveFiles(identity)).sort()).toEqual([
      'openstack/latest/meta_data.json',
      'openstack/latest/network_data.json',
      'openstack/latest/user_data',
      'openstack/latest/vendor_data.json',
    ]);
  });

  it('writes a NoCloud seed (label cidata) with meta-data and user-data', async () => {
    const identity = randomIdentity(key);
    const iso = await writeMetadataIso('nocloud', identity, join(work, 'nc'), join(work, 'nc.iso'));
    const meta = readBack(iso, 'meta-data');
    expect(meta.label).toBe('cidata');
    expect(meta.text).toBe(nocloudFiles(identity)['meta-data']);
    expect(meta.text).toContain(`instance-id: ${identity.instanceId}\nlocal-hostname: ${identity.hostname}\npublic-keys:\n  - ${key}\n`);
    expect(readBack(iso, 'user-data').text).toMatch(/^#cloud-config\n/);
  });
});
