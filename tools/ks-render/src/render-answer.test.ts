import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { renderAnswer } from './render-answer.js';
import { CUSTOMIZE_BODY, documentFor, EVERY_OS, Scratch, TEST_MIRRORS } from './ks-render.test-support.js';
import { autoyastFacts, debconfCheck, kickstartStructure, loadYaml } from './answer-checks.test-support.js';

const scratch = new Scratch();
afterEach(() => scratch.cleanup());

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

function cryptOf(password: string, hash: string): string {
  const salt = hash.split('$')[2];
  return execFileSync('openssl', ['passwd', '-6', '-salt', salt, '-stdin'], { input: password + '\n' })
    .toString()
    .trim();
}

describe('default answer file for every OS listed in the issue', () => {
  for (const entry of EVERY_OS) {
    it(`${entry.os} ${entry.version} → ${entry.format}`, async () => {
      const dir = scratch.dir();
      const doc = documentFor(dir, { os: entry.os, version: entry.version, rootpw: 's3cret pass', body: CUSTOMIZE_BODY });
      const out = await renderAnswer(doc, { mirrors: TEST_MIRRORS });
      const answer = out.answer!;
      expect(answer.format).toBe(entry.format);
      expect(answer.user).toBe(false);
      expect(answer.sshd).toBe(true);
      const text = readFileSync(answer.path, 'utf8');
      const publicKey = readFileSync(answer.buildKey.publicKey, 'utf8').trim();
      // The key pair is a real ed25519 OpenSSH pair; the private half is 0600.
      const parsed = ssh2.utils.parseKey(readFileSync(answer.buildKey.privateKey));
      expect(parsed instanceof Error ? parsed.message : parsed.type).toBe('ssh-ed25519');
      // OpenSSH itself loads the private key and derives the same public key.
      const derived = execFileSync('ssh-keygen', ['-y', '-f', answer.buildKey.privateKey]).toString().trim();
      expect(readFileSync(answer.buildKey.publicKey, 'utf8').startsWith(derived)).toBe(true);
      expect(mode(answer.buildKey.privateKey)).toBe(0o600);
      expect(publicKey).toMatch(/^ssh-ed25519 [A-Za-z0-9+/=]+ ozkit-build-[0-9a-f]{16}$/);
      expect(text).toContain(publicKey);
      expect(answer.marker).toMatch(/^OZKIT-INSTALL-COMPLETE [0-9a-f]{16}$/);
      expect(text).toContain(`echo '${answer.marker}' > /dev/ttyS0`);
      expect(answer.kernelArgs).toContain('console=ttyS0,115200n8');
      expect(answer.rootPassword).toEqual(doc.template!.os.rootpw);
      const hash = /\$6\$[./0-9A-Za-z]+\$[./0-9A-Za-z]{86}/.exec(text)?.[0];
      expect(hash && cryptOf('s3cret pass', hash)).toBe(hash);
      expect(text).not.toContain('s3cret');

      if (entry.format === 'kickstart') {
        const ks = kickstartStructure(text);
        expect(ks.commands.at(-1)).toBe('poweroff');
        expect(ks.commands).not.toContain('reboot');
        expect(ks.sections.at(-1)).toBe('%post');
        expect(text).toMatch(/^services --enabled=sshd$/m);
        expect(text).toMatch(/^bootloader .*--append="console=tty0 console=ttyS0,115200n8"$/m);
        expect(text).toMatch(/^%packages\n@core\nopenssh-server\n%end$/m);
        expect(answer.placement).toEqual({ onIso: '/ks.cfg', inInitrd: '/ks.cfg' });
      } else if (entry.format === 'preseed') {
        expect(debconfCheck(answer.path)).toEqual({ ok: true, stderr: '' });
        expect(text).toMatch(/^d-i debian-installer\/exit\/poweroff boolean true$/m);
        expect(text).toMatch(
          /^d-i preseed\/late_command string in-target sh -c '.*' && in-target test -x \/usr\/sbin\/sshd && echo 'OZKIT-INSTALL-COMPLETE [0-9a-f]+' > \/dev\/ttyS0 \|\| /m,
        );
        expect(text).toMatch(/^d-i pkgsel\/include string openssh-server$/m);
        expect(text).toMatch(/^d-i passwd\/root-password-crypted password \$6\$/m);
        expect(answer.placement).toEqual({ onIso: '/preseed/ozkit.seed', inInitrd: '/preseed.cfg' });
      } else if (entry.format === 'autoyast') {
        const facts = autoyastFacts(text);
        expect(facts).toMatchObject({
          root: '{http://www.suse.com/1.0/yast2ns}profile',
          confirm: 'false',
          final_halt: 'true',
          final_reboot: 'false',
          root_user: ['root'],
          encrypted: 'true',
          keys: [publicKey],
          sshd: ['sshd'],
          append: 'console=tty0 console=ttyS0,115200n8',
        });
        expect((facts.chroot as string[]).at(-1)).toContain(`echo '${answer.marker}' > /dev/ttyS0`);
        expect(answer.placement.onIso).toBe('/autoinst.xml');
      } else {
        expect(text.startsWith('#cloud-config\n')).toBe(true);
        const [data] = loadYaml(text) as [{ autoinstall: Record<string, unknown> }];
        const ai = data.autoinstall;
        expect(ai.version).toBe(1);
        expect(ai.shutdown).toBe('poweroff');
        expect(ai.ssh).toMatchObject({ 'install-server': true });
        expect(ai['interactive-sections']).toEqual([]);
        const late = ai['late-commands'] as string[];
        expect(late.at(-1)).toContain(`echo '${answer.marker}' > /dev/ttyS0`);
        expect(late.join('\n')).toContain(publicKey);
        const meta = answer.extraFiles?.find((f) => f.name === 'meta-data');
        expect(meta && readFileSync(meta.path, 'utf8')).toBe('instance-id: ozkit-jeos\nlocal-hostname: jeos\n');
        expect(loadYaml(readFileSync(meta!.path, 'utf8'))).toEqual([{ 'instance-id': 'ozkit-jeos', 'local-hostname': 'jeos' }]);
        expect(answer.placement).toEqual({ onIso: '/nocloud/user-data', inInitrd: '/nocloud/user-data' });
      }
    });
  }
});

describe('per-release kickstart syntax', () => {
  async function ks(os: string, version: string): Promise<string> {
    const out = await renderAnswer(documentFor(scratch.dir(), { os, version }));
    return readFileSync(out.answer!.path, 'utf8');
  }

  it('RHEL/CentOS 7: install + auth; no sshkey command (key goes in through %post)', async () => {
    const text = await ks('CentOS-7', '9');
    expect(text).toMatch(/^install$/m);
    expect(text).toMatch(/^auth --enableshadow --passalgo=sha512$/m);
    expect(text).not.toMatch(/^authselect/m);
    expect(text).not.toMatch(/^sshkey/m);
  });

  it('EL 8/9: no install, authselect sssd, sshkey --username=root', async () => {
    for (const [os, v] of [
      ['Rocky-8', '8'],
      ['AlmaLinux-9', '9'],
      ['RHEL-9', '4'],
    ]) {
      const text = await ks(os, v);
      expect(text).not.toMatch(/^install$/m);
      expect(text).not.toMatch(/^auth /m);
      expect(text).toMatch(/^authselect select sssd$/m);
      expect(text).toMatch(/^sshkey --username=root "ssh-ed25519 [^"]+"$/m);
    }
  });

  it('EL 10 and Fedora 40+: authselect local (the profile authselect 1.5 defaults to)', async () => {
    expect(await ks('CentOS-Stream-10', '10')).toMatch(/^authselect select local$/m);
    expect(await ks('Fedora', '41')).toMatch(/^authselect select local$/m);
    expect(await ks('Fedora', '39')).toMatch(/^authselect select sssd$/m);
  });

  it('url installs get a quoted url command; iso installs cdrom', async () => {
    const out = await renderAnswer(
      documentFor(scratch.dir(), {
        os: 'Rocky-9',
        version: '9',
        install: '<install type="url"><url>http://mirror.example.org/rocky/9/BaseOS/x86_64/os/</url></install>',
      }),
    );
    expect(readFileSync(out.answer!.path, 'utf8')).toMatch(/^url --url="http:\/\/mirror\.example\.org\/rocky\/9\/BaseOS\/x86_64\/os\/"$/m);
    expect(await ks('Rocky-9', '9')).toMatch(/^cdrom$/m);
  });
});

describe('preseed specifics', () => {
  it('Ubuntu d-i gets its keyboard keys and the openssh-server task', async () => {
    const out = await renderAnswer(documentFor(scratch.dir(), { os: 'Ubuntu', version: '18.04' }), { mirrors: TEST_MIRRORS });
    const text = readFileSync(out.answer!.path, 'utf8');
    expect(text).toMatch(/^tasksel tasksel\/first multiselect standard, openssh-server$/m);
    expect(text).toMatch(/^d-i mirror\/http\/hostname string mirror\.example$/m);
    expect(text).toMatch(/^d-i mirror\/http\/directory string \/ubuntu$/m);
    expect(out.answer!.kernelArgs).toContain('keyboard-configuration/layoutcode=us');
    expect((out.answer as Record<string, unknown>).locator).toMatchObject({ iso: ['preseed/file=/cdrom/preseed/ozkit.seed'] });
  });

  it('Debian 12 uses the keys of the test installer contract', async () => {
    const out = await renderAnswer(documentFor(scratch.dir(), { os: 'Debian', version: '12', name: 'Debian 12 JEOS' }), { mirrors: TEST_MIRRORS });
    const text = readFileSync(out.answer!.path, 'utf8');
    for (const line of [
      'd-i debian-installer/locale string en_US.UTF-8',
      'd-i keyboard-configuration/xkb-keymap select us',
      'd-i netcfg/choose_interface select auto',
      'd-i netcfg/get_hostname string debian-12-jeos',
      'd-i mirror/country string manual',
      'd-i mirror/http/hostname string mirror.example',
      'd-i mirror/http/directory string /debian',
      'd-i mirror/http/proxy string',
      'd-i passwd/root-login boolean true',
      'd-i passwd/make-user boolean false',
      'd-i clock-setup/utc boolean true',
      'd-i time/zone string UTC',
      'd-i partman-auto/method string regular',
      'd-i partman-partitioning/confirm_write_new_label boolean true',
      'd-i partman/choose_partition select finish',
      'd-i partman/confirm boolean true',
      'd-i partman/confirm_nooverwrite boolean true',
      'tasksel tasksel/first multiselect standard, ssh-server',
      'd-i pkgsel/upgrade select none',
      'popularity-contest popularity-contest/participate boolean false',
      'd-i grub-installer/only_debian boolean true',
      'd-i grub-installer/bootdev string default',
      `d-i preseed/early_command string echo '${String((out.answer as Record<string, unknown>).loadedMarker)}' > /dev/ttyS0`,
      'd-i finish-install/reboot_in_progress note',
      'd-i debian-installer/exit/poweroff boolean true',
    ])
      expect(text.split('\n')).toContain(line);
    expect(out.answer!.kernelArgs).toEqual(['console=tty0', 'console=ttyS0,115200n8', 'priority=critical', 'locale=en_US.UTF-8', 'keymap=us']);
  });

  it('[cache] packages: the package cache is the installer proxy, and the late_command takes it out of the installed system', async () => {
    const out = await renderAnswer(documentFor(scratch.dir(), { os: 'Debian', version: '12', name: 'cached' }), {
      mirrors: TEST_MIRRORS,
      packageProxy: 'http://10.0.2.2:3143/',
    });
    const text = readFileSync(out.answer!.path, 'utf8');
    expect(text.split('\n')).toContain('d-i mirror/http/proxy string http://10.0.2.2:3143/');
    expect(debconfCheck(out.answer!.path)).toEqual({ ok: true, stderr: '' });
    const late = /^d-i preseed\/late_command string in-target sh -c '([^']*) >\/dev\/null'; in-target sh -c 'mkdir -p \/root\/.ssh/m.exec(text);
    expect(late).not.toBeNull();
    // The removal, run on a copy of what the installer leaves in /etc/apt:
    const root = scratch.dir();
    mkdirSync(join(root, 'etc/apt/apt.conf.d'), { recursive: true });
    writeFileSync(join(root, 'etc/apt/apt.conf'), 'Acquire::http::Proxy "http://10.0.2.2:3143/";\n');
    execFileSync('sh', ['-c', late![1]!.replaceAll('/etc/apt', join(root, 'etc/apt'))]);
    expect(existsSync(join(root, 'etc/apt/apt.conf'))).toBe(false);
  });

  it('a url install from a Debian tree sets the mirror from the URL', async () => {
    const out = await renderAnswer(
      documentFor(scratch.dir(), {
        os: 'Debian',
        version: '12',
        install: '<install type="url"><url>http://ftp.example.org/mirror/debian/dists/bookworm/main/installer-amd64/</url></install>',
      }),
    );
    const text = readFileSync(out.answer!.path, 'utf8');
    expect(text).toMatch(/^d-i mirror\/http\/hostname string ftp\.example\.org$/m);
    expect(text).toMatch(/^d-i mirror\/http\/directory string \/mirror\/debian$/m);
  });

  /** A host root (os-release + apt sources) for the host-mirror fallback. */
  function hostRoot(osRelease: string, sources: Record<string, string>): string {
    const root = scratch.dir();
    mkdirSync(join(root, 'etc/apt/sources.list.d'), { recursive: true });
    writeFileSync(join(root, 'etc/os-release'), osRelease);
    for (const [name, text] of Object.entries(sources)) writeFileSync(join(root, 'etc/apt', name), text);
    return root;
  }
  const debianHost = () =>
    hostRoot('ID=debian\nVERSION_CODENAME=bookworm\n', {
      'sources.list.d/debian.sources': 'Types: deb\nURIs: http://host-mirror.example/debian/\nSuites: bookworm bookworm-updates\nComponents: main\n',
      'sources.list.d/old.list.disabled': 'deb http://disabled.example/debian bookworm main\n',
    });
  const mirrorLines = (text: string) => text.split('\n').filter((l) => /^d-i mirror\/http\/(hostname|directory) /.test(l));

  it("without a url tree or a setting, the mirror is the host's apt archive (same distribution), said on stderr", async () => {
    const lines: string[] = [];
    const { Logger } = await import('@ozkit/log');
    const logger = new Logger({ tool: 'ks-render', stream: { write: (s: string) => (lines.push(s), true), isTTY: false } as never });
    const aptRoot = debianHost();
    const out = await renderAnswer(documentFor(scratch.dir(), { os: 'Debian', version: '12' }), { logger, mirrors: { aptRoot } });
    expect(mirrorLines(readFileSync(out.answer!.path, 'utf8'))).toEqual([
      'd-i mirror/http/hostname string host-mirror.example',
      'd-i mirror/http/directory string /debian',
    ]);
    expect(lines.join('')).toContain(`archive mirror host-mirror.example/debian (from ${join(aptRoot, 'etc/apt/sources.list.d/debian.sources')}:1)`);
  });

  it('the setting wins over the host; the url tree wins over both', async () => {
    const aptRoot = debianHost();
    const withSetting = await renderAnswer(documentFor(scratch.dir(), { os: 'Debian', version: '12' }), {
      mirrors: { debian: 'http://127.0.0.1:9/pub/debian', aptRoot },
    });
    expect(mirrorLines(readFileSync(withSetting.answer!.path, 'utf8'))).toEqual([
      'd-i mirror/http/hostname string 127.0.0.1:9',
      'd-i mirror/http/directory string /pub/debian',
    ]);
    const tree = '<install type="url"><url>http://ftp.example.org/debian/dists/bookworm/main/installer-amd64/</url></install>';
    const withTree = await renderAnswer(documentFor(scratch.dir(), { os: 'Debian', version: '12', install: tree }), {
      mirrors: { debian: 'http://127.0.0.1:9/pub/debian', aptRoot },
    });
    expect(mirrorLines(readFileSync(withTree.answer!.path, 'utf8'))).toEqual([
      'd-i mirror/http/hostname string ftp.example.org',
      'd-i mirror/http/directory string /debian',
    ]);
  });

  it('a host mirror with shell characters is refused (65), never written into the preseed', async () => {
    const aptRoot = hostRoot('ID=debian\nVERSION_CODENAME=bookworm\n', { 'sources.list': 'deb http://mirror.example/$(reboot) bookworm main\n' });
    await expect(renderAnswer(documentFor(scratch.dir(), { os: 'Debian', version: '12' }), { mirrors: { aptRoot } })).rejects.toMatchObject({
      code: 'BAD_CONFIG',
      exitCode: 65,
      message: `archive mirror "http://mirror.example/$(reboot)" (from ${join(aptRoot, 'etc/apt/sources.list')}:1) has characters that cannot go into a preseed safely`,
    });
  });

  it('no setting and a host of another distribution: exit 64 naming the setting, nothing written', async () => {
    const workdir = scratch.dir();
    const doc = documentFor(workdir, { os: 'Ubuntu', version: '18.04' });
    await expect(renderAnswer(doc, { mirrors: { aptRoot: debianHost() } })).rejects.toMatchObject({
      code: 'USAGE',
      exitCode: 64,
      message: 'no Ubuntu archive mirror: OZKIT_UBUNTU_MIRROR is not set and the host is not Ubuntu, so its apt sources cannot serve',
      hint: 'set OZKIT_UBUNTU_MIRROR=http://<your mirror>/ubuntu or [ozkit] ubuntu_mirror in the config file',
    });
    expect(existsSync(join(workdir, 'work', 'preseed.cfg'))).toBe(false);
    expect(existsSync(join(workdir, 'work', 'build-key'))).toBe(false);
  });
});

describe('root password and build access', () => {
  it('no rootpw: a random password in a 0600 file, its hash in the answer file, said where', async () => {
    const dir = scratch.dir();
    const lines: string[] = [];
    const { Logger } = await import('@ozkit/log');
    const logger = new Logger({ tool: 'ks-render', stream: { write: (s: string) => (lines.push(s), true), isTTY: false } as never });
    const out = await renderAnswer(documentFor(dir, { os: 'Debian', version: '12' }), { logger, mirrors: TEST_MIRRORS });
    const rp = out.answer!.rootPassword as { generated: true; file: string };
    expect(rp.generated).toBe(true);
    expect(mode(rp.file)).toBe(0o600);
    const password = readFileSync(rp.file, 'utf8').trim();
    expect(password).toMatch(/^[A-Za-z0-9]{24}$/);
    expect(password).not.toBe('ozrootpw');
    const text = readFileSync(out.answer!.path, 'utf8');
    const hash = /\$6\$\S+/.exec(text)![0];
    expect(cryptOf(password, hash)).toBe(hash);
    expect(lines.join('')).toContain(rp.file);
    expect(lines.join('')).not.toContain(password);
    expect(JSON.stringify(out)).not.toContain(password);
  });

  it('every build gets its own key and marker; stableSha256 ignores them (and a TDL password keeps it stable)', async () => {
    const dir = scratch.dir();
    const doc = documentFor(dir, { os: 'Rocky-9', version: '9', rootpw: 'same' });
    const a = (await renderAnswer(structuredClone(doc))).answer!;
    const aKey = readFileSync(a.buildKey.publicKey, 'utf8');
    const b = (await renderAnswer(structuredClone(doc))).answer!;
    expect(readFileSync(b.buildKey.publicKey, 'utf8')).not.toBe(aKey);
    expect(a.marker).not.toBe(b.marker);
    expect(a.sha256).not.toBe(b.sha256);
    expect(a.stableSha256).toBe(b.stableSha256);
    const other = (await renderAnswer(documentFor(scratch.dir(), { os: 'Rocky-9', version: '9', rootpw: 'different' }))).answer!;
    expect(other.stableSha256).not.toBe(a.stableSha256);
  });

  it('a newer Fedora than known uses the newest template and warns', async () => {
    const lines: string[] = [];
    const { Logger } = await import('@ozkit/log');
    const logger = new Logger({ tool: 'ks-render', stream: { write: (s: string) => (lines.push(s), true), isTTY: false } as never });
    const out = await renderAnswer(documentFor(scratch.dir(), { os: 'Fedora', version: '99' }), { logger });
    expect(out.answer!.format).toBe('kickstart');
    expect((out.answer as Record<string, unknown>).os).toMatchObject({ distro: 'fedora', major: 43, requested: '99' });
    expect(lines.join('')).toMatch(/warning: Fedora 99 is newer than any release ks-render knows: using the Fedora 43 template/);
  });

  it('writes nothing into the workdir when the OS is unknown', async () => {
    const dir = scratch.dir();
    const doc = documentFor(dir, { os: 'Gentoo', version: '1' });
    await expect(renderAnswer(doc)).rejects.toMatchObject({ code: 'BAD_TDL', exitCode: 65 });
    expect(existsSync(join(dir, 'work'))).toBe(false);
  });
});

describe('build key generation', () => {
  it('never hands out a malformed key (ssh2 drops leading zero bytes about once in 256)', async () => {
    const { generateBuildKey } = await import('./build-access.js');
    for (let i = 0; i < 600; i++) {
      const key = generateBuildKey('0123456789abcdef');
      expect(Buffer.from(key.publicKey.split(' ')[1], 'base64').length).toBe(51);
      expect(ssh2.utils.parseKey(key.privateKey)).not.toBeInstanceOf(Error);
    }
  });
});

describe('serial console per architecture', () => {
  it('aarch64 guests get ttyAMA0 for the console and the markers', async () => {
    const out = await renderAnswer(documentFor(scratch.dir(), { os: 'Fedora', version: '42', arch: 'aarch64' }));
    const text = readFileSync(out.answer!.path, 'utf8');
    expect(out.answer!.kernelArgs).toContain('console=ttyAMA0,115200n8');
    expect(text).toContain(`echo '${out.answer!.marker}' > /dev/ttyAMA0`);
    expect(text).not.toContain('ttyS0');
  });
});
