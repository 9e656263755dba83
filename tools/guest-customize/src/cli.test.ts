import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const bin = join(import.meta.dirname, '..', 'bin', 'guest-customize.js');
const run = (args: string[], input = '') => spawnSync(process.execPath, [bin, ...args], { input, encoding: 'utf8' });

describe('guest-customize CLI', () => {
  it('--help lists the seal operations and examples', () => {
    const r = run(['--help']);
    expect(r.status).toBe(0);
    for (const op of ['build-key', 'ssh-host-keys', 'machine-id', 'dhcp-leases', 'logs', 'shell-history', 'package-cache', 'tmp-files', 'cloud-init', 'fstrim'])
      expect(r.stdout).toContain(op);
    expect(r.stdout).toMatch(/Examples:/);
  });

  it('exits 64 on flags that do not go together, with one clean line', () => {
    const r = run(['--kernel', '/boot/vmlinuz']);
    expect(r.status).toBe(64);
    expect(r.stderr).toMatch(/^guest-customize: --kernel, --initrd and --append go together\n/);
    expect(run(['--no-seal', '--seal-ops', 'fstrim']).status).toBe(64);
    expect(run(['--bogus']).status).toBe(64);
  });

  it('passes an earlier failure on unchanged and exits with its code', () => {
    const failed = JSON.stringify({ ozkit: 1, stages: [], failure: { stage: 'guest-install', code: 'TIMEOUT', message: 'install timed out', exitCode: 75 } });
    const r = run([], failed);
    expect(r.status).toBe(75);
    expect(JSON.parse(r.stdout).failure.stage).toBe('guest-install');
  });

  it('exits 65 on a document without a disk', () => {
    const r = run([], JSON.stringify({ ozkit: 1, stages: [], workdir: '/tmp', template: {} }));
    expect(r.status).toBe(65);
    expect(r.stderr).toMatch(/build document has no "disk"/);
  });

  it('takes the old --timeout-boot / --timeout-shutdown with a warning naming the new flag', () => {
    const doc = JSON.stringify({ ozkit: 1, stages: [], workdir: '/tmp', template: {} });
    const r = run(['--timeout-boot', '25', '--timeout-shutdown=30'], doc);
    expect(r.stderr).toMatch(/--timeout-boot is deprecated: use --boot-timeout/);
    expect(r.stderr).toMatch(/--timeout-shutdown is deprecated: use --shutdown-timeout/);
    expect(r.status).toBe(65); // it got as far as the document, so both were accepted
    const bad = run(['--timeout-boot', 'soon'], doc);
    expect(bad.status).toBe(64);
    expect(bad.stderr).toMatch(/^guest-customize: --boot-timeout: "soon" is not a duration in seconds/m);
    const cpus = run(['--cpus', 'two'], doc);
    expect(cpus.status).toBe(64);
    expect(cpus.stderr).toMatch(/^guest-customize: --cpus: "two" is not a positive whole number$/m);
  });

  it('refuses an output format it cannot write, from the flag (64) or the config file (65, named with its line)', () => {
    const r = run(['--output-format', 'ova']);
    expect(r.status).toBe(64);
    expect(r.stderr).toMatch(/output-format/);
    const cfg = join(mkdtempSync(join(tmpdir(), 'ozkit-gc-cli-')), 'ozkit.cfg');
    writeFileSync(cfg, '[ozkit]\noutput_format = vdi\n');
    const bad = run(['--config', cfg], JSON.stringify({ ozkit: 1, stages: [] }));
    expect(bad.status).toBe(65);
    expect(bad.stderr).toMatch(new RegExp(`${cfg}:2.*"vdi" must be one of qcow2, raw, vmdk, vhdx, vpc`));
    expect(bad.stderr.split('\n').filter(Boolean).length).toBeLessThanOrEqual(2);
  });
});
