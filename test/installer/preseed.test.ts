// The test installer's preseed and kernel-command-line readers, run under busybox sh as in the
// installer's initrd.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { testPreseed } from '../support/test-installer.js';

const lib = resolve(import.meta.dirname, 'initrd/lib');
const fixtures = resolve(import.meta.dirname, 'fixtures');
const scratch = mkdtempSync(join(tmpdir(), 'ozkit-preseed-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let counter = 0;
/** Runs SCRIPT under busybox sh with the installer's libraries loaded and a fresh answer database. */
function sh(script: string, env: Record<string, string> = {}): { stdout: string; stderr: string; status: number | null } {
  const db = join(scratch, `db-${++counter}`);
  const result = spawnSync('busybox', ['sh', '-c', `. ${lib}/preseed.sh; . ${lib}/cmdline.sh; ${script}`], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PRESEED_DB: db, ...env },
  });
  return { stdout: result.stdout, stderr: result.stderr, status: result.status };
}

function seed(name: string, text: string): string {
  const path = join(scratch, name);
  writeFileSync(path, text);
  return path;
}

describe('preseed_parse', () => {
  it('reads the preseed contract ks-render emits, continuation lines joined', () => {
    const file = seed(
      'contract.seed',
      testPreseed({
        hostname: 'web1',
        mirrorHost: 'mirror.example',
        mirrorDirectory: '/debian',
        packages: ['tree', 'curl'],
        lateCommands: ["in-target sh -c 'touch /root/x'"],
        marker: 'OZKIT-INSTALL-COMPLETE abc',
      }),
    );
    const get = (q: string) => sh(`preseed_load ${file} && preseed_get ${q}`);
    expect(get('netcfg/get_hostname').stdout).toBe('web1\n');
    expect(get('mirror/http/hostname').stdout).toBe('mirror.example\n');
    expect(get('passwd/root-password').stdout).toBe('ozkit\n');
    expect(get('pkgsel/include').stdout).toBe('openssh-server tree curl\n');
    expect(get('partman-auto/expert_recipe').stdout).toContain('$primary{ } $bootable{ } method{ format }');
    expect(get('preseed/late_command').stdout).toBe("in-target sh -c 'touch /root/x';     echo 'OZKIT-INSTALL-COMPLETE abc' > /dev/ttyS0\n");
    expect(sh(`preseed_load ${file} && preseed_true debian-installer/exit/poweroff`).status).toBe(0);
    expect(get('preseed/early_command').stdout).toBe('echo OZKIT-PRESEED-LOADED > /dev/ttyS0\n');
  });

  it('skips comments and blank lines, accepts CRLF, keeps the last answer, allows empty values', () => {
    const file = seed(
      'misc.seed',
      '# comment\r\n\r\nd-i time/zone string UTC\r\n  # indented comment\nd-i mirror/http/proxy string\nd-i time/zone string Europe/Paris  \n',
    );
    expect(sh(`preseed_load ${file} && preseed_get time/zone`).stdout).toBe('Europe/Paris\n');
    const proxy = sh(`preseed_load ${file} && preseed_get mirror/http/proxy`);
    expect(proxy.status).toBe(0);
    expect(proxy.stdout).toBe('\n');
    expect(sh(`preseed_load ${file} && preseed_get netcfg/get_hostname`).status).toBe(1);
  });

  it('reports a malformed line with file and line number and keeps the rest', () => {
    const file = seed('bad.seed', 'd-i time/zone string UTC\nd-i\nd-i netcfg/get_hostname string h\n');
    const result = sh(`preseed_load ${file} && preseed_get netcfg/get_hostname`);
    expect(result.stdout).toBe('h\n');
    expect(result.stderr).toContain(`${file}:2: not "owner question type value"`);
  });

  it('treats booleans the way d-i does, with a default for unanswered ones', () => {
    const file = seed('bool.seed', 'd-i a/yes boolean true\nd-i a/no boolean false\n');
    expect(sh(`preseed_load ${file}; preseed_true a/yes`).status).toBe(0);
    expect(sh(`preseed_load ${file}; preseed_true a/no true`).status).toBe(1);
    expect(sh(`preseed_load ${file}; preseed_true a/missing true`).status).toBe(0);
    expect(sh(`preseed_load ${file}; preseed_true a/missing`).status).toBe(1);
  });

  it('follows preseed/include relative to the including file', () => {
    seed('child.seed', 'd-i netcfg/get_hostname string from-child\n');
    const parent = seed('parent.seed', 'd-i preseed/include string child.seed\nd-i time/zone string UTC\n');
    expect(sh(`preseed_load ${parent} && preseed_get netcfg/get_hostname`).stdout).toBe('from-child\n');
    const broken = seed('broken.seed', 'd-i preseed/include string nowhere.seed\n');
    const result = sh(`preseed_load ${broken}`);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('nowhere.seed, which does not exist');
  });

  it("reads Oz's Debian preseed shape: one late_command that is valid shell", () => {
    const files = [join(fixtures, 'oz-style-debian.seed')];
    // Oz's own preseeds, where Debian's oz package (or an unpacked copy) is on this machine.
    const ozAuto = process.env.OZ_AUTO_DIR ?? '/usr/lib/python3/dist-packages/oz/auto';
    if (existsSync(ozAuto))
      files.push(
        ...readdirSync(ozAuto)
          .filter((f) => /^Debian\d+\.auto$/.test(f))
          .map((f) => join(ozAuto, f)),
      );
    for (const file of files) {
      const late = sh(`preseed_load ${file} && preseed_get preseed/late_command`);
      expect(late.status, file).toBe(0);
      expect(late.stdout).toMatch(/^in-target rm -f \/etc\/ssh\/ssh_host_/);
      expect(late.stdout).toContain("sed -i -e 's/^deb cdrom/# deb cdrom/' /target/etc/apt/sources.list");
      expect(late.stdout.trim().split('\n')).toHaveLength(1);
      const syntax = spawnSync('busybox', ['sh', '-n', '-c', late.stdout], { encoding: 'utf8' });
      expect(syntax.status, syntax.stderr).toBe(0);
      expect(sh(`preseed_load ${file} && preseed_get passwd/root-password`).stdout).not.toBe('\n');
      expect(sh(`preseed_load ${file} && preseed_get apt-setup/security_host`).stdout).toBe('\n');
    }
  });
});

/**
 * configure_apt in a chroot laid out as the initrd is (busybox, /lib/ozinst, the build's
 * /etc/ozkit-installer.conf, /rootfs/etc/os-release, /target): the sources.list it writes.
 */
function configureApt(preseed: string, conf: string): string {
  const root = mkdtempSync(join(scratch, 'initrd-'));
  for (const dir of ['bin', 'dev', 'etc', 'run', 'tmp', 'lib/ozinst', 'rootfs/etc', 'target/etc/apt/apt.conf.d']) mkdirSync(join(root, dir), { recursive: true });
  const which = (program: string) => spawnSync('sh', ['-c', `command -v ${program}`], { encoding: 'utf8' }).stdout.trim();
  copyFileSync(which('busybox'), join(root, 'bin/busybox'));
  expect(spawnSync('mknod', ['-m', '666', join(root, 'dev/null'), 'c', '1', '3']).status).toBe(0);
  for (const f of ['log.sh', 'preseed.sh', 'target.sh']) copyFileSync(join(lib, f), join(root, 'lib/ozinst', f));
  writeFileSync(join(root, 'etc/ozkit-installer.conf'), conf);
  writeFileSync(join(root, 'rootfs/etc/os-release'), 'ID=debian\nVERSION_CODENAME=bookworm\n');
  writeFileSync(join(root, 'tmp/answers.seed'), preseed);
  const r = spawnSync(
    which('chroot'),
    [
      root,
      '/bin/busybox',
      'sh',
      '-c',
      '/bin/busybox --install -s /bin && . /lib/ozinst/log.sh && . /lib/ozinst/preseed.sh && . /lib/ozinst/target.sh && preseed_load /tmp/answers.seed && configure_apt',
    ],
    {
      encoding: 'utf8',
      env: { PATH: '/bin', PRESEED_DB: '/run/preseed.db' },
    },
  );
  expect(r.status, r.stderr + r.stdout).toBe(0);
  expect(r.stderr).toBe('');
  return readFileSync(join(root, 'target/etc/apt/sources.list'), 'utf8');
}

describe('configure_apt', () => {
  const conf = 'SUITE=bookworm\nARCHIVE=http://built.example/debian\nSECURITY_ARCHIVE=http://built.example/debian-security\n';
  const root = process.getuid?.() === 0 && spawnSync('sh', ['-c', 'command -v chroot && command -v busybox']).status === 0;

  it.runIf(root)("names the preseed's mirror, with the security host it gives", () => {
    const preseed =
      'd-i mirror/http/hostname string mirror.example\nd-i mirror/http/directory string /pub/debian\nd-i apt-setup/security_host string security.mirror.example\n';
    expect(configureApt(preseed, conf)).toBe(
      'deb http://mirror.example/pub/debian bookworm main non-free-firmware\n' +
        'deb http://security.mirror.example/debian-security bookworm-security main non-free-firmware\n' +
        'deb http://mirror.example/pub/debian bookworm-updates main non-free-firmware\n',
    );
  });

  it.runIf(root)('without mirror answers: the archive and security archive the installer was built from; an empty security_host means none', () => {
    expect(configureApt('d-i time/zone string UTC\n', conf)).toBe(
      'deb http://built.example/debian bookworm main non-free-firmware\n' +
        'deb http://built.example/debian-security bookworm-security main non-free-firmware\n' +
        'deb http://built.example/debian bookworm-updates main non-free-firmware\n',
    );
    expect(configureApt('d-i apt-setup/security_host string\n', conf)).toBe(
      'deb http://built.example/debian bookworm main non-free-firmware\ndeb http://built.example/debian bookworm-updates main non-free-firmware\n',
    );
    expect(configureApt('d-i time/zone string UTC\n', 'SUITE=bookworm\nARCHIVE=http://built.example/debian\nSECURITY_ARCHIVE=\n')).not.toMatch(/security/);
  });
});

describe('cmdline_parse', () => {
  it("reads Oz's Debian boot line: file= and question=value arguments", () => {
    const line =
      'BOOT_IMAGE=/install.amd/vmlinuz file=/cdrom/preseed/customiso.seed debian-installer/locale=en_US console-setup/layoutcode=us netcfg/choose_interface=auto priority=critical initrd=/install.amd/initrd.gz --';
    expect(sh(`cmdline_parse "$L"`, { L: line }).stdout.split('\n').filter(Boolean)).toEqual([
      'preseed/file\t/cdrom/preseed/customiso.seed',
      'debian-installer/locale\ten_US',
      'console-setup/layoutcode\tus',
      'netcfg/choose_interface\tauto',
      'debconf/priority\tcritical',
    ]);
  });

  it('knows d-i aliases and double-quoted values with spaces', () => {
    const line = 'console=ttyS0,115200n8 url=10.0.2.2:8000/x.seed hostname=h1 auto=true preseed/late_command="echo a b" quiet';
    expect(sh(`cmdline_parse "$L"`, { L: line }).stdout.split('\n').filter(Boolean)).toEqual([
      'preseed/url\t10.0.2.2:8000/x.seed',
      'netcfg/get_hostname\th1',
      'auto-install/enable\ttrue',
      'preseed/late_command\techo a b',
    ]);
    expect(sh(`cmdline_parse "$L"`, { L: 'preseed/file=/cdrom/a.seed' }).stdout).toBe('preseed/file\t/cdrom/a.seed\n');
  });
});

describe('the initrd scripts', () => {
  it('parse as shell under busybox sh', () => {
    for (const file of [
      'init',
      'lib/preseed.sh',
      'lib/cmdline.sh',
      'lib/log.sh',
      'lib/hardware.sh',
      'lib/network.sh',
      'lib/target.sh',
      'lib/udhcpc.script',
      'lib/in-target',
    ]) {
      const path = resolve(import.meta.dirname, 'initrd', file);
      const result = spawnSync('busybox', ['sh', '-n', path], { encoding: 'utf8' });
      expect(result.status, `${file}: ${result.stderr}`).toBe(0);
    }
  });

  it('list the modules build.sh resolves (INSTALLER_MODULES is one quoted assignment)', () => {
    const text = readFileSync(join(lib, 'hardware.sh'), 'utf8');
    expect(text).toMatch(/^INSTALLER_MODULES="[^"]*"$/m);
  });
});
