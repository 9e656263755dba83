import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ozBuildDir, ozConfigFile, ozImagePath, ozLibvirtXmlName, ozSettings } from './oz-config.js';
import { domainXml, readDomainXml } from './libvirt-xml.js';

const home = () => mkdtempSync(join(tmpdir(), 'ozkit-oz-home-'));
const env = { PATH: '/usr/bin' };

describe('Oz config and paths', () => {
  it('finds -c, else ~/.oz/oz.cfg, else /etc/oz/oz.cfg for root only', () => {
    const h = home();
    const system = join(h, 'etc-oz.cfg');
    writeFileSync(system, '[paths]\n');
    expect(ozConfigFile(undefined, { env, home: h, isRoot: false }, system)).toBeUndefined();
    expect(ozConfigFile(undefined, { env, home: h, isRoot: true }, system)).toBe(system);
    mkdirSync(join(h, '.oz'));
    writeFileSync(join(h, '.oz', 'oz.cfg'), '[paths]\n');
    expect(ozConfigFile(undefined, { env, home: h, isRoot: true }, system)).toBe(join(h, '.oz', 'oz.cfg'));
    expect(ozConfigFile('~/other.cfg', { env, home: h, isRoot: true }, system)).toBe(join(h, 'other.cfg'));
  });

  it("puts the image at <output_dir>/<name>.<image_type>, raw as .dsk, with Oz's defaults", () => {
    const h = home();
    const none = ozSettings(undefined, { env, home: h, isRoot: false });
    expect(none.configFile).toBeUndefined();
    expect(ozImagePath(none, 'web')).toBe(join(h, '.oz', 'images', 'web.dsk'));
    expect(ozImagePath(ozSettings(undefined, { env, home: h, isRoot: true }), 'web')).toBe('/var/lib/libvirt/images/web.dsk');
    const cfg = join(h, 'oz.cfg');
    writeFileSync(cfg, `[paths]\noutput_dir = ${h}/images\ndata_dir = ${h}/data\n[libvirt]\nimage_type = qcow2\n`);
    const s = ozSettings(cfg, { env, home: h, isRoot: false });
    expect(ozImagePath(s, 'web')).toBe(join(h, 'images', 'web.qcow2'));
    expect(ozBuildDir(s.config, 'web')).toBe(join(h, 'data', 'oz-compat', 'web'));
  });

  it('refuses a missing -c file and a relative output_dir', () => {
    const h = home();
    expect(() => ozSettings(join(h, 'missing.cfg'), { env, home: h, isRoot: false })).toThrow(expect.objectContaining({ exitCode: 66 }));
    writeFileSync(join(h, 'rel.cfg'), '[paths]\noutput_dir = images\n');
    expect(() => ozSettings(join(h, 'rel.cfg'), { env, home: h, isRoot: false })).toThrow(/output_dir/);
  });

  it('names the libvirt XML as Oz does', () => {
    expect(ozLibvirtXmlName('web', new Date(2026, 0, 5, 7, 8, 9))).toBe('webJan_05_2026-07:08:09');
  });

  it("writes a domain XML that names the disk and the build, and reads it back; refuses Oz's own", () => {
    const h = home();
    const file = join(h, 'web.xml');
    writeFileSync(
      file,
      domainXml({ name: 'a&b', disk: { path: '/i/a&b.dsk', format: 'raw', bus: 'virtio' }, memoryMiB: 1024, cpus: 1, document: '/d/installed.json' }),
    );
    expect(readDomainXml(file)).toEqual({ disk: { path: '/i/a&b.dsk', format: 'raw' }, document: '/d/installed.json' });
    writeFileSync(file, "<domain type='kvm'><name>x</name><devices><disk type='file' device='disk'><source file='/i/x.dsk'/></disk></devices></domain>");
    expect(() => readDomainXml(file)).toThrow(/no ozkit build metadata/);
    writeFileSync(file, '<domain><devices>');
    expect(() => readDomainXml(file)).toThrow(new RegExp(`^${file}:1:`));
  });
});
