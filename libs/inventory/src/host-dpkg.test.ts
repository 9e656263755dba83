import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectInventory, type RunGuestCommand } from './collect-inventory.js';
import { icicleName, isInstalled } from './package-identity.js';

const exec = promisify(execFile);

// The host's own dpkg database stands in for a Debian guest (read-only queries).
const runLocal: RunGuestCommand = async (command) => {
  try {
    const { stdout, stderr } = await exec('/bin/sh', ['-c', command], { maxBuffer: 64 * 1024 * 1024 });
    return { stdout, stderr, exitCode: 0 };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; code?: number };
    return { stdout: err.stdout ?? '', stderr: err.stderr ?? '', exitCode: typeof err.code === 'number' ? err.code : null };
  }
};

describe('collectInventory on the host dpkg database', () => {
  it("lists exactly the names and order of Oz's `dpkg --get-selections`", async () => {
    const inventory = await collectInventory(runLocal);
    expect(inventory.format).toBe('deb');
    const { stdout } = await exec('dpkg', ['--get-selections'], { maxBuffer: 64 * 1024 * 1024 });
    const ozNames = stdout
      .split('\n')
      .map((line) => line.split('\t')[0])
      .filter((n) => n !== '');
    expect(inventory.packages.map((p) => icicleName(p, 'deb'))).toEqual(ozNames);
    const dpkg = inventory.packages.find((p) => p.name === 'dpkg');
    expect(dpkg?.version).toMatch(/^1\.\d+/);
    expect(dpkg?.status).toBe('ii');
  });

  it('pairs extra_command lines and reports a failing one', async () => {
    const inventory = await collectInventory(runLocal, {
      format: 'deb',
      extraCommand: "dpkg-query -W -f '${Installed-Size}\\n'",
    });
    expect(inventory.extra).toHaveLength(inventory.packages.length);
    await expect(collectInventory(runLocal, { format: 'deb', extraCommand: 'echo oops >&2; exit 3' })).rejects.toThrow(
      /os\/icicle\/extra_command \(echo oops >&2; exit 3\) exited with status 3: oops/,
    );
  });
});

const STATUS =
  [
    ['zlib1g', 'install ok installed', 'amd64', '1:1.2.13.dfsg-1', 'same'],
    ['zlib1g', 'install ok installed', 'i386', '1:1.2.13.dfsg-1', 'same'],
    ['adduser', 'install ok installed', 'all', '3.134'],
    ['old-config', 'deinstall ok config-files', 'amd64', '0.9-2'],
    ['held', 'hold ok installed', 'amd64', '2.0-1'],
    ['wanted-not-installed', 'install ok not-installed', 'amd64'],
    ['purged', 'purge ok not-installed', 'amd64'],
    ['foreign-tool', 'install ok installed', 'i386', '1.0-1'],
    ['half', 'install reinstreq half-installed', 'amd64', '3.0-1'],
    ['unpacked-only', 'install ok unpacked', 'amd64', '4.0-1'],
  ]
    .map(([name, status, arch, version, multiArch]) =>
      [
        `Package: ${name}`,
        `Status: ${status}`,
        'Maintainer: t <t@example.invalid>',
        `Architecture: ${arch}`,
        ...(multiArch ? [`Multi-Arch: ${multiArch}`] : []),
        ...(version ? [`Version: ${version}`] : []),
        ...(status.includes('config-files') ? ['Conffiles:', ' /etc/old.conf 0123456789abcdef0123456789abcdef'] : []),
        'Description: t',
      ].join('\n'),
    )
    .join('\n\n') + '\n';

describe('collectInventory on a dpkg database with every awkward state', () => {
  it('lists the same names, in the same order, as `dpkg --get-selections` (multi-arch, foreign, rc, hold, half-installed)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ozkit-dpkgdb-'));
    try {
      mkdirSync(join(dir, 'info'));
      mkdirSync(join(dir, 'updates'));
      writeFileSync(join(dir, 'available'), '');
      writeFileSync(join(dir, 'status'), STATUS);
      writeFileSync(join(dir, 'arch'), 'amd64\ni386\n');
      const run: RunGuestCommand = (command) => runLocal(command.replace(/\bdpkg-query -W\b/, `dpkg-query --admindir=${dir} -W`));
      const inventory = await collectInventory(run, { format: 'deb' });
      const { stdout } = await exec('dpkg', [`--admindir=${dir}`, '--get-selections']);
      const ozNames = stdout
        .split('\n')
        .map((line) => line.split('\t')[0])
        .filter((n) => n !== '');
      expect(ozNames).toEqual(['adduser', 'foreign-tool:i386', 'half', 'held', 'old-config', 'unpacked-only', 'zlib1g:amd64', 'zlib1g:i386']);
      expect(inventory.packages.map((p) => icicleName(p, 'deb'))).toEqual(ozNames);
      const byName = Object.fromEntries(inventory.packages.map((p) => [icicleName(p, 'deb'), p]));
      expect(byName['zlib1g:i386']).toEqual({
        name: 'zlib1g',
        qualifiedName: 'zlib1g:i386',
        epoch: '1',
        version: '1.2.13.dfsg',
        release: '1',
        arch: 'i386',
        status: 'ii',
      });
      expect(byName['old-config'].status).toBe('rc');
      expect(byName['held'].status).toBe('hi');
      expect(inventory.packages.filter((p) => !isInstalled(p)).map((p) => p.name)).toEqual(['old-config']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
