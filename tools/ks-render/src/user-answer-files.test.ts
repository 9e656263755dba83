import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { OzkitErrorList, type OzkitError } from '@ozkit/errors';
import { Logger } from '@ozkit/log';
import { renderAnswer } from './render-answer.js';
import { CUSTOMIZE_BODY, documentFor, Scratch } from './ks-render.test-support.js';
import { autoyastFacts, debconfCheck, kickstartStructure, loadYaml } from './answer-checks.test-support.js';
import { parseKickstart, sections } from './kickstart/kickstart-syntax.js';

const scratch = new Scratch();
afterEach(() => scratch.cleanup());
const fixture = (name: string) => new URL(`../test-fixtures/${name}`, import.meta.url).pathname;

function capture(): { logger: Logger; text: () => string } {
  const lines: string[] = [];
  const logger = new Logger({ tool: 'ks-render', stream: { write: (s: string) => (lines.push(s), true), isTTY: false } as never });
  return { logger, text: () => lines.join('') };
}

async function failure(promise: Promise<unknown>): Promise<OzkitError[]> {
  try {
    await promise;
  } catch (error) {
    return error instanceof OzkitErrorList ? error.errors : [error as OzkitError];
  }
  throw new Error('expected a failure');
}

function userFile(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe("the seed's CentOS 7 kickstart (--auto)", () => {
  it('comes through with %packages and %post intact, reboot → poweroff, build access appended', async () => {
    const dir = scratch.dir();
    const log = capture();
    const original = readFileSync(fixture('centos-7-seed.ks'), 'utf8');
    // Its grammar mistakes refuse it (kickstart/kickstart-grammar.test.ts); with --lint warn it goes through as written.
    const out = await renderAnswer(documentFor(dir, { os: 'CentOS-7', version: '9', body: CUSTOMIZE_BODY }), {
      autoFile: fixture('centos-7-seed.ks'),
      logger: log.logger,
      lint: 'warn',
    });
    const answer = out.answer!;
    expect(answer.user).toBe(true);
    expect(answer.format).toBe('kickstart');
    const text = readFileSync(answer.path, 'utf8');
    kickstartStructure(text);

    const before = parseKickstart(original);
    const after = parseKickstart(text);
    const bodies = (doc: typeof before, name: string) => sections(doc, name).map((s) => s.body.map((l) => l.text));
    // The user's sections, byte for byte, still first; ours come after.
    expect(bodies(after, '%packages')).toEqual(bodies(before, '%packages'));
    expect(bodies(after, '%post')[0]).toEqual(bodies(before, '%post')[0]);
    expect(sections(after, '%post')[0].args).toEqual(['--log=/root/ks-post.log']);
    expect(sections(after, '%post')).toHaveLength(2);
    expect(
      sections(after, '%post')[1]
        .body.map((l) => l.text)
        .join('\n'),
    ).toContain(answer.marker);

    // Every other line as written, except the reboot.
    const origLines = original.trimEnd().split('\n');
    const newLines = text.split('\n').slice(0, origLines.length);
    origLines.forEach((line, i) => expect(newLines[i]).toBe(line === 'reboot' ? 'poweroff' : line));
    expect(text).toContain('Text                         # text mode, capitalised as in the seed');
    expect(text).toMatch(/^--log=\/root\/anaconda-post.log$/m);
    // No TDL rootpw: the user's own stays, and is where the document says.
    expect(text).toMatch(/^rootpw --plaintext ozrootpw$/m);
    expect(answer.rootPassword).toEqual({ set: true, file: fixture('centos-7-seed.ks'), line: 9 });
    expect(log.text()).toMatch(/line 23: "reboot" became "poweroff"/);
    expect(log.text()).toMatch(/warning: .*centos-7-seed\.ks:4:1: unknown command "Text" for RHEL7: kickstart commands are lower case/);
    expect(log.text()).toMatch(/warning: .*centos-7-seed\.ks:22:1: "--log=\/root\/anaconda-post.log" is an option on a line of its own/);
  });

  it('without --lint warn its grammar mistakes refuse it, all at once, located', async () => {
    const dir = scratch.dir();
    const errors = await failure(renderAnswer(documentFor(dir, { os: 'CentOS-7', version: '9' }), { autoFile: fixture('centos-7-seed.ks') }));
    expect(errors.map((e) => e.message.replace(fixture('centos-7-seed.ks'), 'F'))).toEqual([
      'F:4:1: unknown command "Text" for RHEL7: kickstart commands are lower case',
      'F:22:1: "--log=/root/anaconda-post.log" is an option on a line of its own: anaconda reads it as an unknown command',
    ]);
    expect(errors[0].exitCode).toBe(65);
  });

  it("with a TDL rootpw: Oz's substitution, as a crypt hash", async () => {
    const dir = scratch.dir();
    const out = await renderAnswer(documentFor(dir, { os: 'CentOS-7', version: '9', rootpw: 'tdl-secret' }), {
      autoFile: fixture('centos-7-seed.ks'),
      lint: 'warn',
    });
    const text = readFileSync(out.answer!.path, 'utf8');
    expect(text).not.toMatch(/ozrootpw|tdl-secret/);
    expect(text).toMatch(/^rootpw --iscrypted \$6\$[./0-9A-Za-z]+\$[./0-9A-Za-z]{86}$/m);
    expect(text.match(/^rootpw/gm)).toHaveLength(1);
  });

  it('a kickstart without rootpw gets a generated one (anaconda would ask)', async () => {
    const dir = scratch.dir();
    const path = userFile(dir, 'min.ks', 'text\ncdrom\nautopart\n%packages\n@core\n%end\n');
    const log = capture();
    const out = await renderAnswer(documentFor(dir, { os: 'Rocky-9', version: '9' }), { autoFile: path, logger: log.logger });
    const text = readFileSync(out.answer!.path, 'utf8');
    expect(text).toMatch(/^rootpw --iscrypted \$6\$/m);
    expect(text).toMatch(/^poweroff$/m);
    expect((out.answer!.rootPassword as { generated: boolean }).generated).toBe(true);
    expect(log.text()).toMatch(/added "poweroff"/);
  });
});

describe('lint: user kickstarts refused before any VM starts (exit 65, file:line)', () => {
  const cases: [string, string, RegExp, boolean?][] = [
    ['unclosed %packages', 'text\n%packages\n@core\n', /bad\.ks:2:1: %packages section is never closed with %end/],
    ['%post inside %packages', 'text\n%packages\n@core\n%post\necho\n%end\n', /bad\.ks:2:1: %packages section has no %end before %post at line 4/],
    ['unknown section', 'text\n%postinstall\n%end\n', /bad\.ks:2:1: unknown section %postinstall/],
    ['stray %end', 'text\n%end\n', /bad\.ks:2:1: %end without an open section/],
    ['unterminated quote', 'text\nbootloader --append="console=ttyS0\n', /bad\.ks:2:21: unterminated double quote/],
    ['a %post that reboots', 'text\n%post\necho hi\nreboot\n%end\n', /bad\.ks:4: %post script restarts or halts the machine/],
    ['interactive', 'text\ninteractive\n', /bad\.ks:2: "interactive" makes anaconda wait/],
    ['no sshd with customization', 'text\n%packages\n@core\n-openssh-server\n%end\n', /bad\.ks:4: %packages removes openssh-server/, true],
    ['sshd disabled with customization', 'text\nservices --disabled=cups,sshd\n', /bad\.ks:2: services --disabled turns sshd off/, true],
  ];
  for (const [what, text, message, customize] of cases) {
    it(what, async () => {
      const dir = scratch.dir();
      const path = userFile(dir, 'bad.ks', text);
      const errors = await failure(
        renderAnswer(documentFor(dir, { os: 'RHEL-9', version: '4', ...(customize ? { body: CUSTOMIZE_BODY } : {}) }), { autoFile: path }),
      );
      expect(errors.map((e) => e.message).join('\n')).toMatch(message);
      expect(errors[0].exitCode).toBe(65);
      expect(existsSync(join(dir, 'work'))).toBe(false);
    });
  }

  it('no partitioning: refused (anaconda would wait at the storage spoke); lang/keyboard/timezone missing: warnings', async () => {
    const dir = scratch.dir();
    const path = userFile(dir, 'nodisk.ks', 'text\nrootpw --lock\n');
    const errors = await failure(renderAnswer(documentFor(dir, { os: 'RHEL-9', version: '4' }), { autoFile: path }));
    expect(errors[0].message).toMatch(/nodisk\.ks: no partitioning/);
    const ok = userFile(dir, 'ok.ks', 'text\nrootpw --lock\nautopart\n');
    const log = capture();
    await renderAnswer(documentFor(dir, { os: 'RHEL-9', version: '4' }), { autoFile: ok, logger: log.logger });
    expect(log.text()).toMatch(/warning: .*ok\.ks: no "lang": RHEL\/CentOS 7 require the language/);
    expect(log.text()).toMatch(/warning: .*ok\.ks: neither "zerombr" nor "clearpart --initlabel"/);
  });

  it('no sshd without customization is only a warning, and answer.sshd is false', async () => {
    const dir = scratch.dir();
    const path = userFile(dir, 'nossh.ks', 'text\nrootpw --lock\nautopart\n%packages\n@core\n-openssh-server\n%end\n');
    const log = capture();
    const out = await renderAnswer(documentFor(dir, { os: 'RHEL-9', version: '4' }), { autoFile: path, logger: log.logger });
    expect(out.answer!.sshd).toBe(false);
    expect(log.text()).toMatch(/warning: .*nossh\.ks:6: %packages removes openssh-server/);
    // The marker no longer waits for sshd, but still for the key.
    expect(readFileSync(out.answer!.path, 'utf8')).not.toContain('[ -x /usr/sbin/sshd ]');
  });
});

describe('user preseed (--auto)', () => {
  it('keeps the file, swaps the password for the TDL hash, appends to late_command, powers off', async () => {
    const dir = scratch.dir();
    const log = capture();
    const out = await renderAnswer(documentFor(dir, { os: 'Debian', version: '12', rootpw: 'from-tdl', body: CUSTOMIZE_BODY }), {
      autoFile: fixture('debian-12-user.seed'),
      logger: log.logger,
    });
    const text = readFileSync(out.answer!.path, 'utf8');
    expect(debconfCheck(out.answer!.path)).toEqual({ ok: true, stderr: '' });
    expect(text).not.toMatch(/insecure|from-tdl/);
    expect(text.match(/^d-i passwd\/root-password/gm)).toEqual(['d-i passwd/root-password']);
    expect(text).toMatch(/^d-i passwd\/root-password-crypted password \$6\$/m);
    expect(text).toMatch(
      // The user's commands run in a shell of their own, then ozkit's key install and marker.
      /^d-i preseed\/late_command string sh -c 'in-target sh -c '\\''echo seeded > \/etc\/user-seed'\\'';\s+in-target apt-get clean'; in-target sh -c 'mkdir -p \/root\/.ssh/m,
    );
    expect(text).toContain(`echo '${out.answer!.marker}' > /dev/ttyS0`);
    expect(text).toMatch(/^d-i debian-installer\/exit\/poweroff boolean true$/m);
    expect(text).toContain('d-i pkgsel/include string openssh-server curl');
    expect(log.text()).toMatch(/added power-off/);
    expect(out.answer!.rootPassword).toEqual(out.template!.os.rootpw);
  });

  it('without a TDL rootpw the user password stays and is referenced', async () => {
    const dir = scratch.dir();
    const out = await renderAnswer(documentFor(dir, { os: 'Debian', version: '12' }), { autoFile: fixture('debian-12-user.seed') });
    expect(readFileSync(out.answer!.path, 'utf8')).toMatch(/^d-i passwd\/root-password password insecure$/m);
    expect(out.answer!.rootPassword).toEqual({ set: true, file: fixture('debian-12-user.seed'), line: 10 });
  });

  it('exit/poweroff false and exit/halt true are turned into power-off with a note', async () => {
    const dir = scratch.dir();
    const path = userFile(
      dir,
      'p.seed',
      'd-i pkgsel/include string openssh-server\nd-i debian-installer/exit/halt boolean true\nd-i debian-installer/exit/poweroff boolean false\n',
    );
    const log = capture();
    const out = await renderAnswer(documentFor(dir, { os: 'Debian', version: '11' }), { autoFile: path, logger: log.logger });
    const text = readFileSync(out.answer!.path, 'utf8');
    expect(text).toMatch(/^d-i debian-installer\/exit\/halt boolean false$/m);
    expect(text).toMatch(/^d-i debian-installer\/exit\/poweroff boolean true$/m);
    expect(log.text()).toMatch(/line 2: debian-installer\/exit\/halt became false/);
    expect(log.text()).toMatch(/line 3: reboot at the end became power-off/);
    expect(debconfCheck(out.answer!.path).ok).toBe(true);
  });

  const bad: [string, string, RegExp][] = [
    ['a line that is not owner/question/type/value', 'd-i pkgsel/include string openssh-server\nbroken line\n', /p\.seed:2:1: not a preseed line/],
    ['an unknown debconf type', 'd-i pkgsel/include strin openssh-server\n', /p\.seed:1:\d+: unknown debconf type "strin"/],
    [
      'a boolean that is not one',
      'd-i pkgsel/include string openssh-server\nd-i partman/confirm boolean yes\n',
      /p\.seed:2: partman\/confirm: a boolean must be "true" or "false"/,
    ],
    [
      'a late_command that does not parse',
      "d-i pkgsel/include string openssh-server\nd-i preseed/late_command string echo 'unclosed\n",
      /p\.seed:2: preseed\/late_command is not valid shell/,
    ],
    [
      'a late_command that reboots',
      'd-i pkgsel/include string openssh-server\nd-i preseed/late_command string in-target true; reboot\n',
      /p\.seed:2: preseed\/late_command restarts or halts the machine/,
    ],
    ['no ssh server with customization', 'd-i pkgsel/include string curl\n', /p\.seed:1: installs no SSH server/],
  ];
  for (const [what, text, message] of bad)
    it(`refuses ${what}`, async () => {
      const dir = scratch.dir();
      const path = userFile(dir, 'p.seed', text);
      const errors = await failure(renderAnswer(documentFor(dir, { os: 'Debian', version: '12', body: CUSTOMIZE_BODY }), { autoFile: path }));
      expect(errors.map((e) => e.message).join('\n')).toMatch(message);
      expect(errors.every((e) => e.exitCode === 65)).toBe(true);
      expect(existsSync(join(dir, 'work'))).toBe(false);
    });
});

describe('user autoinstall (--auto)', () => {
  it('keeps its data, adds poweroff, the marker in early-commands and the build access in late-commands', async () => {
    const dir = scratch.dir();
    const log = capture();
    const out = await renderAnswer(documentFor(dir, { os: 'Ubuntu', version: '22.04', body: CUSTOMIZE_BODY }), {
      autoFile: fixture('ubuntu-22.04-user-data'),
      logger: log.logger,
    });
    const text = readFileSync(out.answer!.path, 'utf8');
    expect(text.startsWith('#cloud-config\n')).toBe(true);
    const [data] = loadYaml(text) as [{ autoinstall: Record<string, unknown> }];
    const ai = data.autoinstall;
    expect(ai.identity).toMatchObject({ hostname: 'web', username: 'ops' });
    expect(ai.packages).toEqual(['nginx']);
    expect(ai.shutdown).toBe('poweroff');
    const late = ai['late-commands'] as string[];
    expect(late[0]).toBe('echo user-late > /target/etc/user-late');
    expect(late.at(-1)).toContain(out.answer!.marker);
    expect((ai['early-commands'] as string[])[0]).toContain('OZKIT-AUTOINSTALL-LOADED');
    expect(log.text()).toMatch(/shutdown: "reboot \(default\)" became poweroff/);
    expect(log.text()).toMatch(/comments are not kept/);
    expect(out.answer!.extraFiles?.[0].name).toBe('meta-data');
  });

  const bad: [string, string, RegExp][] = [
    ['invalid YAML', '#cloud-config\nautoinstall:\n  version: 1\n   ssh: [\n', /u\.yaml:4:\d+: not valid YAML/],
    [
      'no #cloud-config header',
      'autoinstall:\n  version: 1\n  identity: {hostname: a, username: b, password: c}\n  ssh: {install-server: true}\n',
      /must start with "#cloud-config"/,
    ],
    [
      'interactive sections',
      '#cloud-config\nautoinstall:\n  version: 1\n  interactive-sections: [storage]\n  identity: {hostname: a, username: b, password: c}\n  ssh: {install-server: true}\n',
      /interactive-sections \(storage\) make the installer wait/,
    ],
    [
      'version 2',
      '#cloud-config\nautoinstall:\n  version: 2\n  identity: {hostname: a, username: b, password: c}\n  ssh: {install-server: true}\n',
      /subiquity knows only version: 1/,
    ],
    [
      'no ssh server with customization',
      '#cloud-config\nautoinstall:\n  version: 1\n  identity: {hostname: a, username: b, password: c}\n',
      /install-server is not true/,
    ],
    ['no identity nor user-data', '#cloud-config\nautoinstall:\n  version: 1\n  ssh: {install-server: true}\n', /neither "identity" nor "user-data"/],
  ];
  for (const [what, text, message] of bad)
    it(`refuses ${what}`, async () => {
      const dir = scratch.dir();
      const path = userFile(dir, 'u.yaml', text);
      const errors = await failure(renderAnswer(documentFor(dir, { os: 'Ubuntu', version: '24.04', body: CUSTOMIZE_BODY }), { autoFile: path }));
      expect(errors.map((e) => e.message).join('\n')).toMatch(message);
      expect(errors[0].exitCode).toBe(65);
    });
});

describe('user AutoYaST profile (--auto)', () => {
  it('keeps the profile, power-off instead of reboot, TDL password hashed, scripts appended to the lists', async () => {
    const dir = scratch.dir();
    const log = capture();
    const out = await renderAnswer(documentFor(dir, { os: 'openSUSE-Leap', version: '15.6', rootpw: 'tdl-pw', body: CUSTOMIZE_BODY }), {
      autoFile: fixture('opensuse-15-user.xml'),
      logger: log.logger,
    });
    const text = readFileSync(out.answer!.path, 'utf8');
    const facts = autoyastFacts(text);
    expect(facts).toMatchObject({ final_halt: 'true', final_reboot: 'false', root_user: ['root'], encrypted: 'true' });
    expect(facts.password).toMatch(/^\$6\$/);
    expect(text).not.toMatch(/>linux<|tdl-pw/);
    expect(facts.chroot).toHaveLength(2);
    expect((facts.chroot as string[])[0]).toBe('echo user > /etc/user-chroot');
    expect((facts.chroot as string[])[1]).toContain(out.answer!.marker);
    expect((facts.pre as string[])[0]).toContain('OZKIT-AUTOYAST-LOADED');
    expect(text).toContain("<!-- a user's Leap 15 profile: reboots at the end, plain root password, its own chroot script -->");
    expect(text).toContain('<package>vim</package>');
    expect(log.text()).toMatch(/final_halt set/);
  });

  const bad: [string, string, RegExp][] = [
    ['broken XML', '<profile><general></profile>\n', /a\.xml:1:\d+: not well-formed XML/],
    ['a confirmation', '<profile><general><mode><confirm config:type="boolean">true</confirm></mode></general></profile>\n', /a\.xml:1: confirm is true/],
    [
      'sshd disabled with customization',
      '<profile><services-manager><services><disable config:type="list"><service>sshd</service></disable></services></services-manager></profile>\n',
      /services-manager disables sshd/,
    ],
    [
      'a script that reboots',
      '<profile><scripts><chroot-scripts config:type="list"><script><source><![CDATA[echo\nreboot]]></source></script></chroot-scripts></scripts></profile>\n',
      /a\.xml:2: a script restarts or halts/,
    ],
  ];
  for (const [what, text, message] of bad)
    it(`refuses ${what}`, async () => {
      const dir = scratch.dir();
      const path = userFile(dir, 'a.xml', text);
      const errors = await failure(renderAnswer(documentFor(dir, { os: 'SLES', version: '15.6', body: CUSTOMIZE_BODY }), { autoFile: path }));
      expect(errors.map((e) => e.message).join('\n')).toMatch(message);
      expect(errors[0].exitCode).toBe(65);
      expect(existsSync(join(dir, 'work'))).toBe(false);
    });

  it('a minimal profile gets general/mode, users and scripts created', async () => {
    const dir = scratch.dir();
    const path = userFile(
      dir,
      'min.xml',
      '<?xml version="1.0"?>\n<profile xmlns="http://www.suse.com/1.0/yast2ns" xmlns:config="http://www.suse.com/1.0/configns">\n</profile>\n',
    );
    const out = await renderAnswer(documentFor(dir, { os: 'openSUSE', version: 'Tumbleweed' }), { autoFile: path });
    const facts = autoyastFacts(readFileSync(out.answer!.path, 'utf8'));
    expect(facts).toMatchObject({ final_halt: 'true', root_user: ['root'], encrypted: 'true' });
    expect((out.answer!.rootPassword as { generated: boolean }).generated).toBe(true);
  });
});

describe('format and OS checks for --auto', () => {
  it('refuses a kickstart for Debian', async () => {
    const dir = scratch.dir();
    const errors = await failure(renderAnswer(documentFor(dir, { os: 'Debian', version: '12' }), { autoFile: fixture('centos-7-seed.ks') }));
    expect(errors[0].message).toMatch(/looks like kickstart, but Debian 12 installs from preseed/);
    expect(errors[0].exitCode).toBe(65);
  });

  it('takes an OS it has no template for when the answer file is given, with a warning', async () => {
    const dir = scratch.dir();
    const log = capture();
    const out = await renderAnswer(documentFor(dir, { os: 'OL-9', version: '4' }), { autoFile: fixture('centos-7-seed.ks'), logger: log.logger });
    expect(out.answer!.format).toBe('kickstart');
    expect(log.text()).toMatch(/warning: no default answer file for OL-9 4: unknown operating system/);
  });

  it("takes a preseed whose late_command has more continuation lines than it has questions (Oz's Debian*.auto)", async () => {
    const dir = scratch.dir();
    const script = Array.from({ length: 12 }, (_, i) => `    echo 'line ${i}' >> /target/etc/init.d/oz-generate-ssh ; \\`).join('\n');
    const path = userFile(
      dir,
      'Debian9.auto',
      `d-i debian-installer/locale select en_US
d-i partman-auto/method string regular
d-i partman/confirm boolean true
d-i partman/confirm_nooverwrite boolean true
d-i passwd/root-password password %ROOTPW%
d-i passwd/root-password-again password %ROOTPW%
d-i preseed/late_command string \\
${script}
    sed -i -e 's/^deb cdrom/# deb cdrom/' /target/etc/apt/sources.list
`,
    );
    const out = await renderAnswer(documentFor(dir, { os: 'Debian', version: '12', rootpw: 'from-tdl' }), { autoFile: path });
    expect(out.answer!.format).toBe('preseed');
    expect(debconfCheck(out.answer!.path)).toEqual({ ok: true, stderr: '' });
    // All of the user's late_command, in its shell of its own.
    expect(readFileSync(out.answer!.path, 'utf8')).toContain("echo '\\''line 11'\\'' >> /target/etc/init.d/oz-generate-ssh ;  sed -i");
  });

  it('exit 66 for a missing --auto file, 65 for binary junk', async () => {
    const dir = scratch.dir();
    const missing = await failure(renderAnswer(documentFor(dir, { os: 'Debian', version: '12' }), { autoFile: join(dir, 'nope.seed') }));
    expect(missing[0].exitCode).toBe(66);
    const junk = userFile(dir, 'junk.bin', '');
    writeFileSync(junk, Buffer.from([0xff, 0xfe, 0x00, 0x80]));
    const bad = await failure(renderAnswer(documentFor(dir, { os: 'Debian', version: '12' }), { autoFile: junk }));
    expect(bad[0].message).toMatch(/not UTF-8/);
    expect(readdirSync(dir)).not.toContain('work');
  });
});
