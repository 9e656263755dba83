// test/installer/build.sh's behaviour that needs no build: cache hits, usage errors and the
// exit-69 report of missing Debian packages.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_INSTALLER_SCRIPT } from '../support/test-installer.js';

const scratch = mkdtempSync(join(tmpdir(), 'ozkit-installer-build-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A PATH holding only what the script needs to compute its key: every build tool is missing. */
function barePath(): string {
  const bin = join(scratch, 'bin');
  mkdirSync(bin, { recursive: true });
  for (const tool of ['bash', 'dirname', 'sha256sum', 'cut', 'find', 'sort', 'xargs', 'cat', 'id', 'mkdir', 'sed', 'tr', 'printf', 'paste']) {
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
});
