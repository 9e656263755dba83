import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { collectInventory, type RunGuestCommand } from './collect-inventory.js';
import { icicleName } from './package-identity.js';

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
  it('lists exactly the names and order of Oz\'s `dpkg --get-selections`', async () => {
    const inventory = await collectInventory(runLocal);
    expect(inventory.format).toBe('deb');
    const { stdout } = await exec('dpkg', ['--get-selections'], { maxBuffer: 64 * 1024 * 1024 });
    const ozNames = stdout.split('\n').map((line) => line.split('\t')[0]).filter((n) => n !== '');
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
