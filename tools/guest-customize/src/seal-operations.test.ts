import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SEAL_OPERATIONS, SEAL_OPERATION_NAMES, selectSealOperations } from './seal-operations.js';

const buildKey = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBuildKeyBlobOnlyForThisBuild0123456789abcdefgh ozkit-build';
const userKey = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIUserKeyThatMustStay0123456789abcdefghijklmno user@laptop';
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Runs an operation's real script with its absolute guest paths moved under a temp root. */
function runScript(op: string, root: string, replace: [string, string][]): { out: string; status: number } {
  let script = SEAL_OPERATIONS.find((o) => o.op === op)!.script({ packageManager: 'apt', buildPublicKey: buildKey, packageProxyUrl: 'http://10.0.2.2:3143/' });
  for (const [from, to] of replace) script = script.split(from).join(to);
  try {
    return { out: execFileSync('sh', ['-c', script], { cwd: root }).toString(), status: 0 };
  } catch (error) {
    const e = error as { status: number; stdout: Buffer };
    return { out: e.stdout.toString(), status: e.status };
  }
}

describe('seal operations', () => {
  it('build-key removes only the build key line, whatever options and comment it has', () => {
    const root = mkdtempSync(join(tmpdir(), 'ozkit-seal-'));
    dirs.push(root);
    const file = join(root, 'authorized_keys');
    writeFileSync(file, `${userKey}\nno-pty,from="10.0.0.0/8" ${buildKey}\n# a comment\n`);
    const r = runScript('build-key', root, [['/root/.ssh/authorized_keys', file]]);
    expect(r.status).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(`${userKey}\n# a comment\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(r.out.trim()).toBe('removed 1 line(s), 2 other key line(s) kept');
  });

  it('build-key removes authorized_keys when the build key was its only line', () => {
    const root = mkdtempSync(join(tmpdir(), 'ozkit-seal-'));
    dirs.push(root);
    const file = join(root, 'authorized_keys');
    writeFileSync(file, `${buildKey}\n`);
    expect(runScript('build-key', root, [['/root/.ssh/authorized_keys', file]]).out.trim()).toBe('removed 1 line(s), 0 other key line(s) kept');
    expect(existsSync(file)).toBe(false);
  });

  it('machine-id empties the file instead of deleting it', () => {
    const root = mkdtempSync(join(tmpdir(), 'ozkit-seal-'));
    dirs.push(root);
    writeFileSync(join(root, 'machine-id'), '4f196a5113c44d089074452e96dd93e3\n');
    runScript('machine-id', root, [
      ['/etc/machine-id', join(root, 'machine-id')],
      ['/var/lib/dbus/machine-id', join(root, 'dbus-id')],
      ['/var/lib/systemd/', join(root, 'x/')],
    ]);
    expect(readFileSync(join(root, 'machine-id'), 'utf8')).toBe('');
  });

  it('cloud-init reports "not applicable" (exit 3) when cloud-init is absent', () => {
    const root = mkdtempSync(join(tmpdir(), 'ozkit-seal-'));
    dirs.push(root);
    const r = runScript('cloud-init', root, [
      ['/var/lib/cloud', join(root, 'cloud')],
      ['command -v cloud-init', 'command -v ozkit-no-such-cloud-init'],
    ]);
    expect(r.status).toBe(3);
    expect(r.out.trim()).toBe('cloud-init not installed');
  });

  it('build-proxy removes the package cache from apt, and keeps a proxy of the user', () => {
    const root = mkdtempSync(join(tmpdir(), 'ozkit-seal-'));
    dirs.push(root);
    execFileSync('mkdir', ['-p', join(root, 'etc/apt/apt.conf.d')]);
    writeFileSync(join(root, 'etc/apt/apt.conf.d/00ozkit-build-proxy'), 'Acquire::http::Proxy "http://10.0.2.2:3143/";\n');
    writeFileSync(join(root, 'etc/apt/apt.conf'), 'Acquire::http::Proxy "http://10.0.2.2:3143/";\nAcquire::https::Proxy "http://proxy.example:3128/";\n');
    const r = runScript('build-proxy', root, [['/etc/apt', join(root, 'etc/apt')]]);
    expect(r).toEqual({ status: 0, out: 'removed from 2 file(s)\n' });
    expect(existsSync(join(root, 'etc/apt/apt.conf.d/00ozkit-build-proxy'))).toBe(false);
    expect(readFileSync(join(root, 'etc/apt/apt.conf'), 'utf8')).toBe('Acquire::https::Proxy "http://proxy.example:3128/";\n');
  });

  it('dpkg-unsafe-io removes the customization-only dpkg setting, and says so when there is none', () => {
    const root = mkdtempSync(join(tmpdir(), 'ozkit-seal-'));
    dirs.push(root);
    const file = join(root, 'ozkit-unsafe-io');
    writeFileSync(file, 'force-unsafe-io\n');
    const moved: [string, string][] = [['/etc/dpkg/dpkg.cfg.d/ozkit-unsafe-io', file]];
    expect(runScript('dpkg-unsafe-io', root, moved).out.trim()).toBe(`removed ${file}`);
    expect(existsSync(file)).toBe(false);
    expect(runScript('dpkg-unsafe-io', root, moved).out.trim()).toBe('not set');
  });

  it('runs the build key removal and fstrim last, and selects by name in that fixed order', () => {
    expect(SEAL_OPERATION_NAMES.slice(-2)).toEqual(['build-key', 'fstrim']);
    expect(selectSealOperations(['fstrim,machine-id', 'build-key']).map((o) => o.op)).toEqual(['machine-id', 'build-key', 'fstrim']);
    expect(() => selectSealOperations(['machine-id,bogus'])).toThrow(/unknown seal operation: bogus/);
  });
});
