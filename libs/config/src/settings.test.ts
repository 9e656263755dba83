import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OzkitError } from '@ozkit/errors';
import { loadConfig, parseIni, parseSeconds, resolveWorkdir } from './index.js';

function tempFile(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'ozkit-config-'));
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

// Oz's own oz.cfg as Debian ships it, with image_type switched to qcow2 as users do.
const ozCfg = `[paths]
output_dir = /var/lib/libvirt/images
data_dir = /var/lib/oz
screenshot_dir = /var/lib/oz/screenshots
# sshprivkey = /etc/oz/id_rsa-icicle-gen

[libvirt]
uri = qemu:///system
image_type = qcow2
# type = kvm
# bridge_name = virbr0
cpus = 2
memory = 3072

[cache]
original_media = yes
modified_media = no
jeos = yes

[icicle]
safe_generation = no

[timeouts]
install = 1800
inactivity = 600
boot = 300
shutdown = 90
`;

describe('loadConfig', () => {
  it('takes every supported key from an Oz oz.cfg', () => {
    const file = tempFile('oz.cfg', ozCfg);
    const { settings, origins } = loadConfig({ configFile: file, env: {} });
    expect(settings.imageType).toBe('qcow2');
    expect(settings.cpus).toBe(2);
    expect(settings.memoryMiB).toBe(3072);
    expect(settings.cacheDir).toBe('/var/lib/oz');
    expect(settings.outputDir).toBe('/var/lib/libvirt/images');
    expect(settings.screenshotDir).toBe('/var/lib/oz/screenshots');
    expect(settings.cacheModifiedMedia).toBe(false);
    expect(settings.cacheJeos).toBe(true);
    expect(settings.timeoutInstall).toBe(1800);
    expect(settings.timeoutInactivity).toBe(600);
    expect(origins.imageType).toEqual({ file, line: 9 });
    // libvirt keys: the URI selects the libvirt backend; type and bridge_name go with it.
    expect(settings.connect).toBe('qemu:///system');
    expect(settings.virtType).toBeUndefined();
    expect(settings.bridgeName).toBeUndefined();
    expect(settings.pool).toBe('default');
  });

  it('refuses a libvirt domain type other than kvm or qemu, naming the file and line', () => {
    const file = tempFile('oz.cfg', '[libvirt]\ntype = xen\n');
    expect(() => loadConfig({ configFile: file, env: {} })).toThrow(`${file}:2:1: [libvirt] type: "xen" must be one of kvm, qemu`);
  });

  it('ranks flags over environment over file over defaults', () => {
    const file = tempFile('oz.cfg', '[libvirt]\nimage_type = raw\ncpus = 3\nmemory = 1024\n');
    const { settings, origins } = loadConfig({
      configFile: file,
      env: { OZKIT_CPUS: '4', OZKIT_MEMORY: '4096' },
      flags: { memoryMiB: 512 },
    });
    expect(settings.imageType).toBe('raw');
    expect(origins.imageType).toMatchObject({ file });
    expect(settings.cpus).toBe(4);
    expect(origins.cpus).toBe('env');
    expect(settings.memoryMiB).toBe(512);
    expect(origins.memoryMiB).toBe('flag');
    expect(settings.timeoutBoot).toBe(300);
    expect(origins.timeoutBoot).toBe('default');
  });

  it('defaults to qcow2, real-second timeouts and a cache under XDG_CACHE_HOME', () => {
    const { settings } = loadConfig({ env: { XDG_CACHE_HOME: '/tmp/xdg', XDG_CONFIG_HOME: '/nonexistent' } });
    expect(settings.imageType).toBe('qcow2');
    expect(settings.cacheDir).toBe('/tmp/xdg/ozkit');
    expect(settings.timeoutInstall).toBe(1200);
    expect(settings.timeoutInactivity).toBe(300);
  });

  it('uses $OZKIT_CACHE_DIR before the config file', () => {
    const file = tempFile('oz.cfg', '[paths]\ndata_dir = /var/lib/oz\n');
    const { settings } = loadConfig({ configFile: file, env: { OZKIT_CACHE_DIR: '/srv/cache' } });
    expect(settings.cacheDir).toBe('/srv/cache');
  });

  it('names the file, line and key of a bad value', () => {
    const file = tempFile('bad.cfg', '[libvirt]\n\ncpus = many\n');
    expect(() => loadConfig({ configFile: file, env: {} })).toThrowError(new RegExp(`^${file}:3:1: \\[libvirt\\] cpus: "many" is not a positive whole number$`));
  });

  it('refuses relative paths, as Oz does', () => {
    const file = tempFile('bad.cfg', '[paths]\ndata_dir = relative/dir\n');
    expect(() => loadConfig({ configFile: file, env: {} })).toThrowError(/must be an absolute path/);
  });

  it('takes the archive mirrors from [ozkit] debian_mirror / ubuntu_mirror, the environment winning, and refuses a non-http URL', () => {
    const file = tempFile('mirror.cfg', '[ozkit]\ndebian_mirror = http://mirror.example/debian/\nubuntu_mirror = https://mirror.example/ubuntu\n');
    const fromFile = loadConfig({ configFile: file, env: {} });
    expect(fromFile.settings.debianMirror).toBe('http://mirror.example/debian');
    expect(fromFile.settings.ubuntuMirror).toBe('https://mirror.example/ubuntu');
    expect(fromFile.origins.debianMirror).toEqual({ file, line: 2 });
    expect(loadConfig({ configFile: file, env: { OZKIT_DEBIAN_MIRROR: 'http://127.0.0.1:9/debian' } }).settings.debianMirror).toBe('http://127.0.0.1:9/debian');
    expect(loadConfig({ env: { XDG_CONFIG_HOME: mkdtempSync(join(tmpdir(), 'ozkit-config-')) } }).settings.debianMirror).toBeUndefined();
    expect(() => loadConfig({ env: { OZKIT_DEBIAN_MIRROR: 'ftp://mirror.example/debian' } })).toThrowError(
      /^\$OZKIT_DEBIAN_MIRROR: "ftp:\/\/mirror.example\/debian" is not an http\(s\) mirror URL/,
    );
    expect(() => loadConfig({ env: { OZKIT_DEBIAN_MIRROR: 'mirror.example' } })).toThrowError(/is not an http\(s\) mirror URL/);
  });

  it('fails with exit 66 when -c names a missing file', () => {
    try {
      loadConfig({ configFile: '/nonexistent/oz.cfg', env: {} });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(OzkitError);
      expect((error as OzkitError).exitCode).toBe(66);
    }
  });

  it('reads $OZKIT_CONFIG when no -c is given', () => {
    const file = tempFile('env.cfg', '[timeouts]\nboot = 5m\n');
    expect(loadConfig({ env: { OZKIT_CONFIG: file } }).settings.timeoutBoot).toBe(300);
  });
});

describe('flag values', () => {
  it('a value the setting refuses is a usage error (64) naming the flag the user typed, never a name derived from the setting', () => {
    for (const [flags, message] of [
      [{ memoryMiB: '2x' }, '--memory: "2x" is not a positive whole number'],
      [{ cpus: '0' }, '--cpus: "0" is not a positive whole number'],
      [{ timeoutBoot: 'soon' }, '--boot-timeout: "soon" is not a duration in seconds (e.g. 1200, 20m, 2h)'],
      [{ accel: 'hvf' }, '--accel: "hvf" must be one of auto, kvm, tcg'],
    ] as const) {
      let caught: unknown;
      try {
        loadConfig({ env: {}, flags });
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(OzkitError);
      expect((caught as OzkitError).code).toBe('USAGE');
      expect((caught as OzkitError).exitCode).toBe(64);
      expect((caught as OzkitError).message).toBe(message);
    }
  });

  it('a path given as a flag may be relative to the current directory; in the environment it may not', () => {
    expect(loadConfig({ env: {}, flags: { screenshotDir: 'shots' } }).settings.screenshotDir).toBe(join(process.cwd(), 'shots'));
    expect(() => loadConfig({ env: { OZKIT_SCREENSHOT_DIR: 'shots' } })).toThrow(/\$OZKIT_SCREENSHOT_DIR: "shots" must be an absolute path/);
  });
});

describe('parseIni', () => {
  it('handles ConfigParser syntax: comments, colons, continuations, case', () => {
    const ini = parseIni('; comment\n[Paths]\nOutput_Dir: /a\n  continued\n# x\n[cache]\njeos=yes\n', 'x.cfg');
    expect(ini.get('paths')?.get('output_dir')?.value).toBe('/a\ncontinued');
    expect(ini.get('cache')?.get('jeos')).toEqual({ value: 'yes', line: 7 });
  });

  it('points at a line that is neither key nor section', () => {
    expect(() => parseIni('[a]\nthis is not ini\n', 'x.cfg')).toThrowError(/^x\.cfg:2:1: expected/);
    expect(() => parseIni('key = value\n', 'x.cfg')).toThrowError(/^x\.cfg:1:1: "key" is outside any \[section\]/);
  });
});

describe('parseSeconds', () => {
  it('accepts plain seconds and s/m/h suffixes', () => {
    expect(parseSeconds('90', 'x')).toBe(90);
    expect(parseSeconds('20m', 'x')).toBe(1200);
    expect(parseSeconds('2h', 'x')).toBe(7200);
    expect(() => parseSeconds('0', 'x')).toThrow();
    expect(() => parseSeconds('-5', 'x')).toThrow();
  });
});

describe('resolveWorkdir', () => {
  it('prefers --workdir, then output_dir/<name>, then ./build/<name>', () => {
    const base = mkdtempSync(join(tmpdir(), 'ozkit-wd-'));
    expect(resolveWorkdir({ workdir: join(base, 'w'), outputDir: '/x' }, 'n')).toBe(join(base, 'w'));
    expect(resolveWorkdir({ workdir: undefined, outputDir: base }, 'my image')).toBe(join(base, 'my_image'));
    expect(resolveWorkdir({ workdir: undefined, outputDir: undefined }, '../evil', base)).toBe(join(base, 'build', 'evil'));
  });
});
