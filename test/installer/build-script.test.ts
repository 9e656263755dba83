// test/installer/build.sh's behaviour that needs no build: cache hits, usage errors, the
// exit-69 report of missing Debian packages and where the archive mirror comes from.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_INSTALLER_SCRIPT } from '../support/test-installer.js';

const scratch = mkdtempSync(join(tmpdir(), 'ozkit-installer-build-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A PATH holding only what the script needs to compute its key (node reads the apt sources): every build tool is missing. */
function barePath(): string {
  const bin = join(scratch, 'bin');
  mkdirSync(bin, { recursive: true });
  for (const tool of ['bash', 'node', 'dirname', 'sha256sum', 'cut', 'find', 'sort', 'xargs', 'cat', 'id', 'mkdir', 'sed', 'tr', 'printf', 'paste']) {
    const found = spawnSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
    if (found.startsWith('/')) {
      try {
        symlinkSync(found, join(bin, tool));
      } catch {
        // already linked by an earlier test
      }
    }
  }
  return bin;
}

function build(args: string[], env: Record<string, string>) {
  return spawnSync('/bin/bash', [TEST_INSTALLER_SCRIPT, ...args], { encoding: 'utf8', env: { HOME: scratch, ...env } });
}

describe('test/installer/build.sh', () => {
  it('prints a cached ISO as its last line without building or needing any build tool', () => {
    const cache = join(scratch, 'cache');
    const key = build(['--key'], { PATH: process.env.PATH ?? '' }).stdout.trim();
    expect(key).toMatch(/^[0-9a-f]{16}$/);
    mkdirSync(join(cache, 'installer', key), { recursive: true });
    const iso = join(cache, 'installer', key, 'debian-12.0.0-amd64-ozkit-test-installer.iso');
    writeFileSync(iso, 'not really an ISO');
    const result = build([], { PATH: barePath(), OZKIT_TEST_CACHE: cache });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout.trim().split('\n').pop()).toBe(iso);
  });

  it('exits 69 naming the apt packages to install when a cold build lacks tools', () => {
    const result = build([], { PATH: barePath(), OZKIT_TEST_CACHE: join(scratch, 'empty-cache') });
    expect(result.status).toBe(69);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/test-installer: missing programs; install them with: apt-get install /);
    for (const pkg of ['debootstrap', 'squashfs-tools', 'xorriso', 'busybox-static', 'mtools']) expect(result.stderr).toContain(pkg);
  });

  it('answers an unknown argument with exit 64', () => {
    const result = build(['--frobnicate'], { PATH: process.env.PATH ?? '' });
    expect(result.status).toBe(64);
    expect(result.stderr).toContain('unknown argument: --frobnicate');
  });

  it('keys the cache on suite and mirror', () => {
    const env = { PATH: process.env.PATH ?? '' };
    const bookworm = build(['--key'], env).stdout;
    expect(build(['--key'], { ...env, OZKIT_TEST_SUITE: 'trixie' }).stdout).not.toBe(bookworm);
    expect(build(['--key'], { ...env, OZKIT_TEST_MIRROR: 'http://127.0.0.1:9/debian' }).stdout).not.toBe(bookworm);
    expect(build(['--key'], env).stdout).toBe(bookworm);
  });

  /** A host root whose os-release and deb822 apt sources name this archive and security archive. */
  function aptRoot(name: string, archive?: string, security?: string): string {
    const root = join(scratch, name);
    mkdirSync(join(root, 'etc/apt/sources.list.d'), { recursive: true });
    writeFileSync(join(root, 'etc/os-release'), 'ID=debian\nVERSION_CODENAME=bookworm\n');
    const stanza = (uri: string, suites: string) => `Types: deb\nURIs: ${uri}\nSuites: ${suites}\nComponents: main\n`;
    if (archive)
      writeFileSync(
        join(root, 'etc/apt/sources.list.d/debian.sources'),
        [stanza(archive, 'bookworm bookworm-updates'), ...(security ? [stanza(security, 'bookworm-security')] : [])].join('\n'),
      );
    return root;
  }

  it("takes the mirror from OZKIT_TEST_MIRROR, else OZKIT_DEBIAN_MIRROR, else the host's apt sources (with its security archive)", () => {
    const env = { PATH: process.env.PATH ?? '', OZKIT_TEST_APT_ROOT: aptRoot('apt-host', 'http://mirror.example/debian/', 'http://mirror.example/debian-security') };
    const key = (extra: Record<string, string>) => {
      const r = build(['--key'], { ...env, ...extra });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout;
    };
    const fromHost = key({});
    expect(fromHost).toBe(key({ OZKIT_TEST_MIRROR: 'http://mirror.example/debian', OZKIT_TEST_SECURITY_MIRROR: 'http://mirror.example/debian-security' }));
    expect(fromHost).not.toBe(key({ OZKIT_TEST_MIRROR: 'http://mirror.example/debian' }));
    expect(key({ OZKIT_DEBIAN_MIRROR: 'http://127.0.0.1:9/debian' })).toBe(
      key({ OZKIT_TEST_MIRROR: 'http://127.0.0.1:9/debian', OZKIT_TEST_SECURITY_MIRROR: 'http://mirror.example/debian-security' }),
    );
  });

  it('stops with exit 64 saying what to set when no mirror is set and the host names none', () => {
    for (const root of [aptRoot('apt-none'), join(scratch, 'no-host')]) {
      const result = build(['--key'], { PATH: process.env.PATH ?? '', OZKIT_TEST_APT_ROOT: root });
      expect(result.status).toBe(64);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/^test-installer: no Debian archive mirror: OZKIT_DEBIAN_MIRROR is not set and /m);
      expect(result.stderr).toMatch(
        /^test-installer: hint: set OZKIT_TEST_MIRROR=http:\/\/<your mirror>\/debian \(or: set OZKIT_DEBIAN_MIRROR=.* or \[ozkit\] debian_mirror in the config file\)$/m,
      );
    }
    const bad = build(['--key'], { PATH: process.env.PATH ?? '', OZKIT_TEST_MIRROR: 'http://mirror.example/a b' });
    expect(bad.status).toBe(64);
    expect(bad.stderr).toContain('archive mirror "http://mirror.example/a b" is not a plain http(s) URL');
  });
});
