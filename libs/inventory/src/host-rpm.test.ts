import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectInventory, type RunGuestCommand } from './collect-inventory.js';
import { icicleName } from './package-identity.js';
import { needsPrograms } from '../../../test/support/missing-program.js';

needsPrograms('rpm');

const exec = promisify(execFile);

function has(program: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
// Debian's `rpm` package (rpm 4.18, with rpmbuild) gives a real rpm database to query; it is a
// listed system package, so its absence fails the run instead of skipping these tests.

let dir: string;
let db: string;

const spec = (name: string, fields: string) => `Name: ${name}\n${fields}\nSummary: t\nLicense: MIT\n%description\nt\n%files\n`;

beforeAll(async () => {
  if (!has('rpmbuild') || !has('rpm')) throw new Error('rpm and rpmbuild are needed: apt-get install rpm');
  dir = mkdtempSync(join(tmpdir(), 'ozkit-rpmdb-'));
  db = join(dir, 'db');
  mkdirSync(db);
  const specs: [string, string][] = [
    ['hello-ozkit', spec('hello-ozkit', 'Epoch: 2\nVersion: 1.0+git5\nRelease: 3.el9\nBuildArch: noarch')],
    ['libstdc++-compat', spec('libstdc++-compat', 'Version: 4.8.5\nRelease: 44.el7\nBuildArch: x86_64')],
    ['zz-last', spec('zz-last', 'Version: 0.1\nRelease: 1\nBuildArch: noarch')],
  ];
  for (const [name, text] of specs) {
    writeFileSync(join(dir, `${name}.spec`), text);
    await exec('rpmbuild', ['--define', `_topdir ${join(dir, 'top')}`, '--define', `_rpmdir ${join(dir, 'out')}`, '-bb', join(dir, `${name}.spec`)]);
  }
  await exec('rpm', ['--dbpath', db, '--initdb']);
  const rpms = execFileSync('sh', ['-c', `find ${join(dir, 'out')} -name '*.rpm'`], { encoding: 'utf8' })
    .trim()
    .split('\n');
  await exec('rpm', ['--dbpath', db, '-i', '--justdb', '--nodeps', '--ignorearch', ...rpms]);
  if (has('gpg')) {
    // A gpg-pubkey pseudo-package: no arch, which `rpm -qa` prints without a `.ARCH`.
    const home = join(dir, 'gnupg');
    mkdirSync(home, { mode: 0o700 });
    const env = { ...process.env, GNUPGHOME: home };
    await exec(
      'gpg',
      ['--batch', '--pinentry-mode', 'loopback', '--passphrase', '', '--quick-gen-key', 'ozkit test <t@example.invalid>', 'ed25519', 'sign', 'never'],
      { env },
    );
    const { stdout } = await exec('gpg', ['--armor', '--export'], { env });
    writeFileSync(join(dir, 'key.asc'), stdout);
    await exec('rpm', ['--dbpath', db, '--import', join(dir, 'key.asc')]);
  }
}, 60_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const runWithDb: RunGuestCommand = async (command) => {
  // The guest's commands, pointed at the test database.
  const local = command.replace(/\brpm -qa\b/g, `rpm --dbpath ${db} -qa`);
  try {
    const { stdout, stderr } = await exec('/bin/sh', ['-c', local]);
    return { stdout, stderr, exitCode: 0 };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; code?: number };
    return { stdout: err.stdout ?? '', stderr: err.stderr ?? '', exitCode: typeof err.code === 'number' ? err.code : null };
  }
};

describe('collectInventory on a real rpm database', () => {
  it("rebuilds exactly the lines of Oz's plain `rpm -qa`, in the same order", async () => {
    const inventory = await collectInventory(runWithDb, { format: 'rpm', extraCommand: "rpm -qa --qf '%{SIZE} %{NAME}\\n'" });
    const { stdout } = await exec('rpm', ['--dbpath', db, '-qa']);
    const ozLines = stdout.split('\n').filter((l) => l !== '');
    expect(ozLines.length).toBeGreaterThanOrEqual(3);
    expect(inventory.packages.map((p) => icicleName(p, 'rpm'))).toEqual(ozLines);
    const hello = inventory.packages.find((p) => p.name === 'hello-ozkit');
    expect(hello).toEqual({ name: 'hello-ozkit', epoch: '2', version: '1.0+git5', release: '3.el9', arch: 'noarch' });
    // extra_command lines pair with packages by position, as Oz pairs them with `rpm -qa`.
    inventory.packages.forEach((p, i) => expect(inventory.extra![i].endsWith(` ${p.name}`)).toBe(true));
  });
});
