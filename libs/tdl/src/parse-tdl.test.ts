import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_DISK_BYTES } from './disk-size.js';
import { ISO_INSTALL, osElement, parse, problemsOf, tdl, TEST_PATH } from './tdl-fixtures.test-support.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ozkit-tdl-parse-'));
  writeFileSync(join(dir, 'setup.sh'), 'echo setup\n');
  mkdirSync(join(dir, 'a dir'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('all problems at once, each at its element', () => {
  it('reports every problem of a broken template in file order with exact line:col', () => {
    const xml = [
      '<template version="1.1">', // 1
      '  <name></name>', // 2
      '  <os>', // 3
      '    <name>Fedora</name>', // 4
      '    <arch>amd64</arch>', // 5
      "    <install type='iso'>", // 6
      '      <iso>ftp://example.org/x.iso</iso>', // 7
      '      <sha1sum>sha1:abc</sha1sum>', // 8
      '    </install>', // 9
      '  </os>', // 10
      '  <repositories><repository name="r"><url>http://LOCALHOST:8080/r</url><sslverify>On</sslverify></repository></repositories>', // 11
      '  <commands>', // 12
      '    <command name="a" position="2">echo a</command>', // 13
      '    <command name="b" position="2">echo b</command>', // 14
      '  </commands>', // 15
      '  <disk><size>0</size><size>1G</size></disk>', // 16
      '  <colour>blue</colour>', // 17
      '</template>', // 18
    ].join('\n');
    expect(problemsOf(xml)).toEqual([
      't.tdl:1:11: TDL version "1.1" is not supported: this ozkit reads version 1.0',
      't.tdl:2:3: <name> is empty',
      't.tdl:3:3: <os> has no <version>',
      't.tdl:5:5: <arch> must be one of i386, x86_64, ppc64, ppc64le, aarch64, armv7l, s390x, not "amd64"',
      't.tdl:7:7: <iso> must be an http://, https:// or file:// URL or an absolute path, not "ftp://example.org/x.iso"',
      't.tdl:8:7: a sha1 digest has 40 hex digits, not 3',
      't.tdl:11:38: repository "r" is on localhost: the guest must reach it, and there localhost is the guest itself (under QEMU user networking the host is 10.0.2.2)',
      't.tdl:11:72: <sslverify> must be true, false, yes or no (any case), not "On"',
      't.tdl:14:5: <command> position 2 is used twice (first at 13:5)',
      't.tdl:16:9: disk size "0" is zero bytes',
      't.tdl:16:23: <size> appears more than once in <disk> (first at 16:9)',
      't.tdl:17:3: unexpected element <colour> in <template> (allowed here: <name>, <os>, <description>, <packages>, <files>, <commands>, <precommands>, <repositories>, <disk>)',
    ]);
  });

  it('counts columns in characters, not bytes', () => {
    expect(problemsOf(tdl({ name: 'é😀', body: '<déjà/>' }))).toContain(
      't.tdl:11:3: unexpected element <déjà> in <template> (allowed here: <name>, <os>, <description>, <packages>, <files>, <commands>, <precommands>, <repositories>, <disk>)',
    );
    expect(problemsOf(`<template><name>é😀</name><x/></template>`)[0]).toBe('t.tdl:1:1: <template> has no <os>');
    expect(problemsOf(`<template><name>é😀</name><x/></template>`)[1]).toMatch(/^t\.tdl:1:26: unexpected element <x>/);
  });

  it('reports the things Oz only finds at a crash or later, cleanly', () => {
    expect(problemsOf(tdl({ body: '<commands><command name="a" position="">echo</command></commands>' }))).toEqual([
      `t.tdl:11:31: <command> position must be a whole number from 1 up, not ""`,
    ]);
    expect(problemsOf(tdl({ body: '<precommands><command name="a" position="0">x</command></precommands>' }))[0]).toMatch(/position 0 is out of range/);
    expect(problemsOf(tdl({ body: '<commands><command name="a" position="1">x</command><command name="b" position="3">y</command></commands>' }))[0]).toMatch(
      /position 3 is out of range: the 2 commands of <commands> must be numbered 1 to 2/,
    );
    expect(problemsOf(tdl({ body: '<files><file name="/a" type="base64">YWJjZA=</file></files>' }))[0]).toMatch(
      /base64 content cannot be decoded: it lacks its "=" padding/,
    );
    expect(problemsOf(tdl({ body: '<files><file name="/a" type="base64">YWJjZ</file></files>' }))[0]).toMatch(/5 characters is one more than a multiple of 4/);
    // Python (so Oz) accepts surplus padding: so does ozkit.
    expect(parse(tdl({ body: '<files><file name="/a" type="base64">aGVsbG8==</file></files>' })).template.files[0].content).toBe('aGVsbG8==');
    expect(problemsOf(tdl({ body: '<files><file name="/a" type="base64">\n  YWJj\n</file></files>' }))[0]).toMatch(/must not have spaces or line breaks/);
    expect(problemsOf(tdl({ body: '<files><file name="/a" type="url"></file></files>' }))[0]).toMatch(/<file> of type url has no URL/);
    expect(problemsOf(tdl({ os: osElement({ version: '  ' }) }))[0]).toBe('t.tdl:5:5: <version> is empty');
  });

  it('reports one place per command missing a position', () => {
    const problems = problemsOf(
      tdl({ body: '<commands>\n<command name="a">x</command>\n<command name="b" position="1">y</command>\n<command name="c">z</command>\n</commands>' }),
    );
    expect(problems).toEqual([
      't.tdl:12:1: <command> has no position, but other commands in <commands> do: give every command a position, or none',
      't.tdl:14:1: <command> has no position, but other commands in <commands> do: give every command a position, or none',
    ]);
  });

  it('refuses unknown attributes, stray text and elements inside text elements', () => {
    expect(problemsOf(tdl({ attributes: ' lang="en"', body: 'stray <description>a<b>bold</b></description>' }))).toEqual([
      't.tdl:1:11: unexpected attribute lang on <template> (allowed: version)',
      't.tdl:11:3: <template> may not contain text, only elements',
      't.tdl:11:23: <description> may contain only text, not <b>',
    ]);
  });

  it('suggests the element or attribute a misspelling meant', () => {
    expect(problemsOf(tdl({ body: '<pakages/><respositories/><Disk/>' }))).toEqual([
      't.tdl:11:3: unexpected element <pakages> in <template>: did you mean <packages>?',
      't.tdl:11:13: unexpected element <respositories> in <template>: did you mean <repositories>?',
      't.tdl:11:29: unexpected element <Disk> in <template>: did you mean <disk>?',
    ]);
    expect(problemsOf(tdl({ body: '<commands><command name="a" postion="1">x</command></commands>' }))).toEqual([
      't.tdl:11:31: unexpected attribute postion on <command>: did you mean position?',
    ]);
  });

  it('refuses a namespaced template', () => {
    expect(problemsOf(tdl({ attributes: ' xmlns="http://example.org/tdl"' }))).toEqual([
      't.tdl:1:1: <template> must not be in a namespace (xmlns="http://example.org/tdl")',
    ]);
  });

  it("requires whitespace-free values where Oz's schema does", () => {
    expect(problemsOf(tdl({ os: osElement({ arch: ' x86_64 ' }) }))[0]).toMatch(/<arch> must be one of .* \(without spaces around it\), not " x86_64 "/);
    expect(problemsOf(tdl({ body: '<disk><size>\n  10G\n</size></disk>' }))[0]).toMatch(/no spaces or line breaks around the value/);
  });

  it('allows <extras> only with an iso install, and not empty', () => {
    expect(
      problemsOf(
        tdl({ os: osElement({ install: `<install type='url'><url>http://e.org/os/</url><extras><file source="/a" destination="b"/></extras></install>` }) }),
      )[0],
    ).toMatch(/<extras> can only be used with <install type="iso">/);
    expect(problemsOf(tdl({ os: osElement({ install: `<install type='iso'><iso>/srv/x.iso</iso><extras/></install>` }) }))[0]).toMatch(
      /<extras> must list at least one/,
    );
    expect(problemsOf(tdl({ os: osElement({ install: `<install type='iso'><iso>/srv/x.iso</iso><extras><file source="/a"/></extras></install>` }) }))[0]).toMatch(
      /<file> has no destination attribute/,
    );
  });
});

describe('the normalized template', () => {
  it('has every part of a full TDL', () => {
    const xml = tdl({
      attributes: ' version="1.0"',
      os: osElement({
        install: `<install type='iso'>
      <iso>/srv/media/Fedora.iso</iso>
      <sha256sum>E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855</sha256sum>
      <extras><file source="/srv/ks/extra.cfg" destination="extra.cfg"/><directory source="/srv/rpms" destination="rpms"/></extras>
    </install>`,
        extra:
          '<rootpw>s3cret</rootpw><key>KEY-1</key><kernelparam>console=ttyS0</kernelparam><icicle><extra_command>rpm -qa --qf "%{SIGMD5}\\n"</extra_command></icicle>',
      }),
      body: `<description> A test image </description>
  <packages><package name="httpd"/><package name="httpd"><arguments>--nogpg</arguments></package></packages>
  <repositories><repository name="epel"><url>https://mirror.example.org/epel</url><signed>Yes</signed><persisted>FALSE</persisted><sslverify>true</sslverify></repository></repositories>
  <files><file name="/etc/motd">\n  hello\n</file><file name="/etc/setup.sh" type="url">file://${dir}/setup.sh</file></files>
  <precommands><command name="pre">echo pre</command></precommands>
  <commands><command name="b64" type="base64">ZWNobyBoaQ==</command><command name="u" type="url">http://example.org/u.sh</command></commands>
  <disk><size>20 GiB</size></disk>`,
    });
    const { template, warnings } = parse(xml);
    expect(warnings).toEqual([]);
    expect(template).toEqual({
      source: { path: TEST_PATH, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
      version: '1.0',
      name: 'f12jeos',
      description: 'A test image',
      os: {
        name: 'Fedora',
        version: '12',
        arch: 'x86_64',
        install: {
          type: 'iso',
          iso: '/srv/media/Fedora.iso',
          checksum: { kind: 'sha256', value: 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' },
          extras: [
            { kind: 'directory', source: '/srv/rpms', destination: 'rpms' },
            { kind: 'file', source: '/srv/ks/extra.cfg', destination: 'extra.cfg' },
          ],
        },
        rootpw: { set: true, file: TEST_PATH, line: 12, column: 5 },
        key: 'KEY-1',
        kernelparam: 'console=ttyS0',
        icicle: { extraCommand: 'rpm -qa --qf "%{SIGMD5}\\n"' },
      },
      disk: { sizeBytes: 20 * 2 ** 30 },
      packages: [{ name: 'httpd' }, { name: 'httpd', arguments: '--nogpg' }],
      repositories: [{ name: 'epel', url: 'https://mirror.example.org/epel', signed: true, persisted: false, sslverify: true }],
      files: [
        { name: '/etc/motd', type: 'raw', content: 'hello' },
        { name: '/etc/setup.sh', type: 'url', content: `file://${dir}/setup.sh` },
      ],
      commands: [
        { name: 'b64', type: 'base64', content: 'ZWNobyBoaQ==' },
        { name: 'u', type: 'url', content: 'http://example.org/u.sh' },
      ],
      precommands: [{ name: 'pre', type: 'raw', content: 'echo pre' }],
    });
    expect(JSON.stringify(template)).not.toContain('s3cret');
  });

  it('gives a TDL without <disk> 10 GiB, never 10 bytes', () => {
    expect(parse(tdl()).template.disk.sizeBytes).toBe(DEFAULT_DISK_BYTES);
    const empty = parse(tdl({ body: '<disk><size></size></disk>' }));
    expect(empty.template.disk.sizeBytes).toBe(DEFAULT_DISK_BYTES);
    expect(empty.warnings[0].message).toBe('<size> is empty and ignored: the disk gets the default 10 GiB');
    expect(DEFAULT_DISK_BYTES).toBe(10737418240);
  });

  it('keeps the last definition of a repository or file given twice, in its first place, with a warning', () => {
    const { template, warnings } = parse(
      tdl({
        body: `<repositories><repository name="a"><url>http://one/</url></repository><repository name="b"><url>http://b/</url></repository><repository name="a"><url>http://two/</url></repository></repositories>
  <files><file name="/f">one</file><file name="/f">two</file></files>`,
      }),
    );
    expect(template.repositories.map((r) => [r.name, r.url])).toEqual([
      ['a', 'http://two/'],
      ['b', 'http://b/'],
    ]);
    expect(template.files).toEqual([{ name: '/f', type: 'raw', content: 'two' }]);
    expect(warnings.map((w) => `${w.location.line}:${w.location.column}: ${w.message}`)).toEqual([
      '11:127: repository "a" is defined again (first at 11:17): the last definition wins, as in Oz',
      '12:36: file "/f" is given again (first at 12:10): the last content wins, as in Oz',
    ]);
  });

  it('refuses file:// contents that do not exist or are not regular files, naming the path', () => {
    expect(problemsOf(tdl({ body: `<files><file name="/x" type="url">file://${dir}/missing.sh</file></files>` }))).toEqual([
      `t.tdl:11:10: <file> content "file://${dir}/missing.sh": ${dir}/missing.sh does not exist`,
    ]);
    expect(problemsOf(tdl({ body: `<commands><command name="x" type="url">file://${dir}/a%20dir</command></commands>` }))[0]).toContain(
      `${dir}/a dir is not a regular file`,
    );
    expect(problemsOf(tdl({ body: `<commands><command name="x" type="url">ftp://example.org/x.sh</command></commands>` }))[0]).toMatch(
      /must be an http:\/\/, https:\/\/ or file:\/\/ URL/,
    );
  });

  it('does not touch the network for http(s) contents', () => {
    const { template } = parse(tdl({ body: '<files><file name="/x" type="url">http://192.0.2.1:9/never-fetched</file></files>' }));
    expect(template.files[0].content).toBe('http://192.0.2.1:9/never-fetched');
  });

  it('refuses loopback repositories in every spelling, including inside a deb line', () => {
    for (const url of ['http://127.0.0.2/r', 'https://user@localhost.localdomain:8443/r', 'http://[::1]/r', 'deb http://LocalHost/debian bookworm main']) {
      expect(problemsOf(tdl({ body: `<repositories><repository name="r"><url>${url}</url></repository></repositories>` }))[0], url).toMatch(
        /the guest must reach it/,
      );
    }
    expect(
      parse(tdl({ body: '<repositories><repository name="r"><url>deb http://10.0.2.2/debian bookworm main</url></repository></repositories>' })).template
        .repositories[0].url,
    ).toBe('deb http://10.0.2.2/debian bookworm main');
  });

  it("warns about a url install from the host's loopback", () => {
    const { warnings } = parse(tdl({ os: osElement({ install: `<install type='url'><url>http://127.0.0.1:8000/os/</url></install>` }) }));
    expect(warnings[0].message).toMatch(/the installer runs in the guest, where 127\.0\.0\.1 is the guest itself/);
  });

  it('treats an empty rootpw as unset (with a warning) and refuses a multi-line one without quoting it', () => {
    const empty = parse(tdl({ os: osElement({ extra: '<rootpw></rootpw>' }) }));
    expect(empty.template.os.rootpw).toBeUndefined();
    expect(empty.warnings[0].message).toMatch(/<rootpw> is empty/);
    const problems = problemsOf(tdl({ os: osElement({ extra: '<rootpw>pass\nword</rootpw>' }) }));
    expect(problems).toEqual(['t.tdl:10:5: <rootpw> must be one line without tabs']);
    expect(problemsOf(tdl({ os: osElement({ extra: '<rootpw>pass\tword</rootpw>' }) }))).toEqual(['t.tdl:10:5: <rootpw> must be one line without tabs']);
  });

  it('accepts local media as a path or file:// URL, and Packer-style inline checksums', () => {
    const iso = (inner: string) => tdl({ os: osElement({ install: `<install type='iso'><iso>file:///srv/x.iso</iso>${inner}</install>` }) });
    expect(parse(iso('<md5sum>md5:D41D8CD98F00B204E9800998ECF8427E</md5sum>')).template.os.install).toMatchObject({
      checksum: { kind: 'md5', value: 'md5:d41d8cd98f00b204e9800998ecf8427e' },
    });
    expect(parse(iso('<sha256sum>https://example.org/SHA256SUMS</sha256sum>')).template.os.install).toMatchObject({
      checksum: { kind: 'sha256', value: 'https://example.org/SHA256SUMS' },
    });
    expect(problemsOf(iso('<md5sum>sha256:e3b0</md5sum>'))[0]).toMatch(/<md5sum> holds a sha256 digest/);
    expect(problemsOf(iso('<sha256sum>sha256:e3b0</sha256sum>'))[0]).toMatch(/a sha256 digest has 64 hex digits, not 4/);
    expect(problemsOf(iso('<sha256sum>SHA256SUMS</sha256sum>'))[0]).toMatch(/must be the URL of a checksum file/);
    expect(parse(tdl({ os: osElement({ install: ISO_INSTALL }) })).template.os.install).toEqual({
      type: 'iso',
      iso: 'http://download.example.org/Fedora-12-x86_64-DVD.iso',
      extras: [],
    });
    expect(problemsOf(tdl({ os: osElement({ install: `<install type='iso'><iso>media/x.iso</iso></install>` }) }))[0]).toMatch(
      /<iso> must be .* or an absolute path/,
    );
  });

  it('refuses a relative guest path for a file', () => {
    expect(problemsOf(tdl({ body: '<files><file name="etc/motd">x</file></files>' }))).toEqual([
      't.tdl:11:16: <file> name must be an absolute path in the guest, not "etc/motd"',
    ]);
  });
});
