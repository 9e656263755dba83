import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { TargetCloud } from '@ozkit/config';
import { DATASOURCE_FILE, datasourceConfig } from './cloud-datasource.js';
import { CLOUD_PROBE_COMMAND, parseCloudProbe } from './seal-image.js';
import { KERNEL_CMDLINE_FILES, SEAL_OPERATIONS, SEAL_OPERATION_NAMES, selectSealOperations } from './seal-operations.js';

const buildKey = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBuildKeyBlobOnlyForThisBuild0123456789abcdefgh ozkit-build';
const userKey = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIUserKeyThatMustStay0123456789abcdefghijklmno user@laptop';
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Runs an operation's real script with its absolute guest paths moved under a temp root. */
function runScript(op: string, root: string, replace: [string, string][], targetCloud: TargetCloud = 'openstack'): { out: string; status: number } {
  let script = SEAL_OPERATIONS.find((o) => o.op === op)!.script({ packageManager: 'apt', buildPublicKey: buildKey, targetCloud });
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

  it('runs the build key removal and fstrim last, and selects by name in that fixed order', () => {
    expect(SEAL_OPERATION_NAMES.slice(-2)).toEqual(['build-key', 'fstrim']);
    expect(selectSealOperations(['fstrim,machine-id', 'build-key']).map((o) => o.op)).toEqual(['machine-id', 'build-key', 'fstrim']);
    expect(() => selectSealOperations(['machine-id,bogus'])).toThrow(/unknown seal operation: bogus/);
  });

  it("cloud-datasource writes the target cloud's datasource_list and metadata budget, and nothing for none", () => {
    const root = mkdtempSync(join(tmpdir(), 'ozkit-seal-'));
    dirs.push(root);
    const file = join(root, 'cloud.cfg.d', '90-ozkit-datasource.cfg');
    const openstack = runScript('cloud-datasource', root, [
      [DATASOURCE_FILE, file],
      ['/etc/cloud/cloud.cfg.d', join(root, 'cloud.cfg.d')],
    ]);
    expect(openstack).toEqual({ status: 0, out: 'datasource_list: [ ConfigDrive, OpenStack, None ]\n' });
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/^datasource_list: \[ ConfigDrive, OpenStack, None \]$/m);
    expect(text).toContain('datasource:\n  OpenStack:\n    max_wait: 10\n    timeout: 5\n    retries: 2\n');
    // YAML a real parser reads as cloud-init will (python3-yaml, when the host has it).
    let parsed: string | undefined;
    try {
      parsed = execFileSync('python3', ['-c', 'import sys, yaml, json; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))', file]).toString();
    } catch {
      parsed = undefined;
    }
    if (parsed !== undefined)
      expect(JSON.parse(parsed)).toEqual({
        datasource_list: ['ConfigDrive', 'OpenStack', 'None'],
        datasource: { OpenStack: { max_wait: 10, timeout: 5, retries: 2 } },
      });
    // A later file's datasource_list (Ubuntu's 90_dpkg.cfg) would win: it is commented out; earlier ones stay.
    writeFileSync(join(root, 'cloud.cfg.d', '90_dpkg.cfg'), 'datasource_list: [ NoCloud, Ec2, None ]\n');
    writeFileSync(join(root, 'cloud.cfg.d', '10-early.cfg'), 'datasource_list: [ Ec2 ]\n');
    const again = runScript('cloud-datasource', root, [
      [DATASOURCE_FILE, file],
      ['/etc/cloud/cloud.cfg.d', join(root, 'cloud.cfg.d')],
    ]);
    expect(again.out).toBe('datasource_list: [ ConfigDrive, OpenStack, None ] (overrode 1 later file(s))\n');
    expect(readFileSync(join(root, 'cloud.cfg.d', '90_dpkg.cfg'), 'utf8')).toBe(
      '# ozkit --target-cloud openstack pins it in 90-ozkit-datasource.cfg: datasource_list: [ NoCloud, Ec2, None ]\n',
    );
    expect(readFileSync(join(root, 'cloud.cfg.d', '10-early.cfg'), 'utf8')).toBe('datasource_list: [ Ec2 ]\n');
    rmSync(file);
    const none = runScript(
      'cloud-datasource',
      root,
      [
        [DATASOURCE_FILE, file],
        ['/etc/cloud/cloud.cfg.d', join(root, 'cloud.cfg.d')],
      ],
      'none',
    );
    expect(none.status).toBe(3);
    expect(existsSync(file)).toBe(false);
    expect(datasourceConfig('nocloud')).toEqual({ datasources: ['NoCloud', 'None'], text: expect.not.stringContaining('max_wait') });
    expect(datasourceConfig('ec2')!.text).toContain('  Ec2:\n    max_wait: 10');
    expect(datasourceConfig('none')).toBeUndefined();
  });

  it('kernel-cmdline-seeds takes ds= and autoinstall off kernel lines only, and counts the files it changed', () => {
    const root = mkdtempSync(join(tmpdir(), 'ozkit-seal-'));
    dirs.push(root);
    const grubDefault = join(root, 'grub');
    const grubCfg = join(root, 'grub.cfg');
    writeFileSync(
      grubDefault,
      'GRUB_TIMEOUT=1\nGRUB_CMDLINE_LINUX_DEFAULT="quiet autoinstall ds=nocloud;s=http://10.0.2.2:8000/"\nGRUB_CMDLINE_LINUX="console=ttyS0"\n# ds=keep-in-comment\n',
    );
    writeFileSync(grubCfg, "menuentry 'Debian' {\n\tlinux\t/boot/vmlinuz root=UUID=x ro ds=nocloud-net autoinstall quiet\n\techo 'ds=not-a-kernel-line'\n}\n");
    const replace: [string, string][] = [
      ['/etc/default/grub', grubDefault],
      ['/boot/grub/grub.cfg', grubCfg],
      ...KERNEL_CMDLINE_FILES.slice(2).map((f): [string, string] => [f, join(root, 'absent', f.replace(/\W/g, '_'))]),
    ];
    expect(runScript('kernel-cmdline-seeds', root, replace)).toEqual({ status: 0, out: 'changed 2 file(s)\n' });
    expect(readFileSync(grubDefault, 'utf8')).toBe('GRUB_TIMEOUT=1\nGRUB_CMDLINE_LINUX_DEFAULT="quiet"\nGRUB_CMDLINE_LINUX="console=ttyS0"\n# ds=keep-in-comment\n');
    expect(readFileSync(grubCfg, 'utf8')).toBe("menuentry 'Debian' {\n\tlinux\t/boot/vmlinuz root=UUID=x ro quiet\n\techo 'ds=not-a-kernel-line'\n}\n");
    expect(runScript('kernel-cmdline-seeds', root, replace).out).toBe('changed 0 file(s)\n');
  });

  it("cloud-init clean removes the seed directory too, and installer-seeds the installer's cloud.cfg.d files", () => {
    const root = mkdtempSync(join(tmpdir(), 'ozkit-seal-'));
    dirs.push(root);
    for (const d of ['cloud/seed/nocloud', 'cloud/instances/i-1', 'cfg.d']) execFileSync('mkdir', ['-p', join(root, d)]);
    writeFileSync(join(root, 'cloud/seed/nocloud/user-data'), '#cloud-config\n');
    writeFileSync(join(root, 'cfg.d/99-installer.cfg'), 'x\n');
    writeFileSync(join(root, 'cfg.d/05-logging.cfg'), 'kept\n');
    writeFileSync(join(root, 'cloud-init.disabled'), '');
    const r = runScript('cloud-init', root, [
      ['/var/lib/cloud', join(root, 'cloud')],
      ['/var/log', join(root, 'log')],
      ['command -v cloud-init', 'command -v ozkit-no-such-cloud-init'],
    ]);
    expect(r).toEqual({ status: 0, out: 'removed 2\n' });
    expect(existsSync(join(root, 'cloud/seed'))).toBe(false);
    const seeds = runScript('installer-seeds', root, [
      ['/etc/cloud/cloud.cfg.d', join(root, 'cfg.d')],
      ['/etc/cloud/cloud-init.disabled', join(root, 'cloud-init.disabled')],
      ['/var/log/installer', join(root, 'log')],
    ]);
    expect(seeds).toEqual({ status: 0, out: 'removed 2\n' });
    expect(readFileSync(join(root, 'cfg.d/05-logging.cfg'), 'utf8')).toBe('kept\n');
  });

  it('marks the cloud-init operations, which are skipped without cloud-init', () => {
    expect(SEAL_OPERATIONS.filter((o) => o.needsCloudInit).map((o) => o.op)).toEqual(['cloud-datasource', 'cloud-init', 'installer-seeds']);
  });

  it('reads the cloud probe: version, default user (last cloud.cfg.d file wins) and the pinned datasources', () => {
    const out = 'ozkit-cloud-init: /usr/bin/cloud-init 22.4.2\nozkit-default-user: debian\nozkit-default-user: cloud-user\n';
    expect(parseCloudProbe(out, 'openstack')).toEqual({
      target: 'openstack',
      cloudInit: true,
      cloudInitVersion: '22.4.2',
      defaultUser: 'cloud-user',
      datasourceList: ['ConfigDrive', 'OpenStack', 'None'],
    });
    expect(parseCloudProbe('ozkit-cloud-init: absent\n', 'openstack')).toEqual({ target: 'openstack', cloudInit: false });
    expect(parseCloudProbe(out, 'none')).toEqual({ target: 'none', cloudInit: true, cloudInitVersion: '22.4.2', defaultUser: 'cloud-user' });
  });

  it('the cloud probe really finds the default user in a cloud.cfg', () => {
    const root = mkdtempSync(join(tmpdir(), 'ozkit-seal-'));
    dirs.push(root);
    execFileSync('mkdir', ['-p', join(root, 'cloud.cfg.d'), join(root, 'bin')]);
    writeFileSync(
      join(root, 'cloud.cfg'),
      'users:\n  - default\nsystem_info:\n   distro: debian\n   default_user:\n     name: debian\n     lock_passwd: True\n   paths:\n     cloud_dir: /var/lib/cloud/\n',
    );
    writeFileSync(join(root, 'bin/cloud-init'), '#!/bin/sh\necho "/usr/bin/cloud-init 22.4.2"\n', { mode: 0o755 });
    const script = CLOUD_PROBE_COMMAND.split('/etc/cloud').join(root);
    const out = execFileSync('sh', ['-c', script], { env: { PATH: `${join(root, 'bin')}:/usr/bin:/bin` } }).toString();
    expect(parseCloudProbe(out, 'nocloud')).toMatchObject({ cloudInit: true, cloudInitVersion: '22.4.2', defaultUser: 'debian' });
  });
});
