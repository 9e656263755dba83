import { osElement, tdl, ISO_INSTALL, URL_INSTALL } from './tdl-fixtures.test-support.js';

/**
 * Every case of Oz's own TDL suite (tests/tdl/test-NN-*.tdl with the verdicts of
 * tests/tdl/test_tdl.py, plus test-60…62 whose files exist there), written as our own cases.
 * Relative file:// contents expect tests/tdl/hello.cmd under the working directory.
 */

const isoWith = (inner: string) => `<install type='iso'>
      <iso>file:///example.org/Windows2003.iso</iso>
      ${inner}
    </install>`;
const windows = (install: string, extra = '') => tdl({ name: 'windows', os: osElement({ name: 'Windows', version: '2003', arch: 'i386', install, extra }) });
export const repo = (inner: string, attrs = " name='myrepo'") => `<repository${attrs}>${inner}</repository>`;
const packagesChris = `<packages>
    <package name='chris'>
      <repository>myrepo</repository>
      <file>myfilename</file>
      <arguments>args</arguments>
    </package>
  </packages>`;
export const withBody = (body: string) => tdl({ body });
const commands = (inner: string) => withBody(`<commands>${inner}</commands>`);
const files = (inner: string) => withBody(`<files>${inner}</files>`);
const disk = (size: string) => withBody(`<description>My Fedora 12 JEOS image</description>\n  <disk>\n    <size>${size}</size>\n  </disk>`);

const persistedValues = ['No', 'no', 'NO', 'false', 'FALSE', 'False', 'Yes', 'yes', 'YES', 'True', 'true', 'TRUE'];

export const cases: [id: string, xml: () => string, valid: boolean][] = [
  ['01-simple-iso', () => tdl({ os: osElement({ install: ISO_INSTALL }) }), true],
  [
    '02-simple-url',
    () => tdl({ os: osElement({ install: `<install type='iso'><iso>http://download.example.org/releases/12/Fedora/x86_64/os/</iso></install>` }) }),
    true,
  ],
  ['03-empty-template', () => '<template>\n</template>\n', false],
  ['04-no-os', () => tdl({ name: 'wow', os: null }), false],
  ['05-no-name', () => tdl({ name: null }), false],
  ['06-simple-iso-description', () => withBody('<description>My Fedora 12 JEOS image</description>'), true],
  ['07-packages-no-package', () => withBody('<packages>\n  </packages>'), true],
  ['08-repositories-no-repository', () => withBody('<repositories>\n  </repositories>'), true],
  ['09-os-invalid-arch', () => tdl({ os: osElement({ arch: 'arm' }) }), false],
  ['10-os-invalid-install-type', () => tdl({ os: osElement({ install: URL_INSTALL.replace("type='url'", "type='foo'") }) }), false],
  [
    '11-description-packages-repositories',
    () => withBody(`<description>d</description>\n  <repositories>${repo('<url>http://path/to/my/repo</url>')}</repositories>\n  ${packagesChris}`),
    true,
  ],
  ['12-os-no-name', () => tdl({ os: osElement({ name: null }) }), false],
  ['13-os-no-version', () => tdl({ os: osElement({ version: null }) }), false],
  ['14-os-no-arch', () => tdl({ os: osElement({ arch: null }) }), false],
  ['15-os-no-install', () => tdl({ os: osElement({ install: null }) }), false],
  [
    '16-signed-repository',
    () => withBody(`<repositories>${repo('<url>http://path/to/my/repo</url><signed>yes</signed>')}</repositories>\n  ${packagesChris}`),
    true,
  ],
  ['17-repo-invalid-signed', () => withBody(`<repositories>${repo('<url>http://path/to/my/repo</url><signed>foo</signed>')}</repositories>`), false],
  ['18-rootpw', () => tdl({ os: osElement({ extra: '<rootpw>foo</rootpw>' }) }), true],
  ['19-key', () => windows(`<install type='iso'><iso>http://example.org/Windows2003.iso</iso></install>`, '<key>1234-456-789</key>'), true],
  [
    '20-multiple-install',
    () => windows(`<install type='iso'><iso>http://example.org/a.iso</iso></install>\n    <install type='iso'><iso>http://example2.org/a.iso</iso></install>`),
    false,
  ],
  ['21-missing-install-type', () => windows(`<install><iso>http://example.org/Windows2003.iso</iso></install>`), false],
  ['22-md5sum', () => windows(isoWith('<md5sum>file:///example.org/MD5SUM</md5sum>')), true],
  ['23-sha1sum', () => windows(isoWith('<sha1sum>file:///example.org/SHA1SUM</sha1sum>')), true],
  ['24-sha256sum', () => windows(isoWith('<sha256sum>file:///example.org/SHA256SUM</sha256sum>')), true],
  ['25-md5sum-and-sha1sum', () => windows(isoWith('<md5sum>file:///example.org/MD5SUM</md5sum><sha1sum>file:///example.org/SHA1SUM</sha1sum>')), false],
  ['26-md5sum-and-sha256sum', () => windows(isoWith('<md5sum>file:///example.org/MD5SUM</md5sum><sha256sum>file:///example.org/SHA256SUM</sha256sum>')), false],
  ['27-sha1sum-and-sha256sum', () => windows(isoWith('<sha1sum>file:///example.org/SHA1SUM</sha1sum><sha256sum>file:///example.org/SHA256SUM</sha256sum>')), false],
  ['28-package-no-name', () => withBody('<packages>\n    <package/>\n  </packages>'), false],
  ['29-files', () => files("<file name='/tmp/foo'>\nhello there\n    </file>"), true],
  ['30-file-no-name', () => files('<file>\nhello there\n    </file>'), false],
  ['31-file-raw-type', () => files("<file name='/tmp/foo' type='raw'>\nhello there\n    </file>"), true],
  ['32-file-base64-type', () => files("<file name='/tmp/foo' type='base64'>aGVsbG8K</file>"), true],
  ['33-file-invalid-type', () => files("<file name='/tmp/foo' type='foo'>aGVsbG8K</file>"), false],
  ['34-file-invalid-base64', () => files("<file name='/tmp/foo' type='base64'>BASE64GOBBLEDYGOOK-</file>"), false],
  ['35-repository-no-name', () => withBody(`<repositories>${repo('<url>http://path/to/my/repo</url>', '')}</repositories>`), false],
  ['36-repository-no-url', () => withBody(`<repositories>${repo('\n    ', " name='chris'")}</repositories>`), false],
  [
    '37-command',
    () => commands(`<command name='cmd1'>\necho "hello" > /tmp/foo\n    </command><command name='cmd2'>\necho "there" > /tmp/bar\n    </command>`),
    true,
  ],
  ['38-command-no-name', () => commands(`<command>\necho "hello" > /tmp/foo\n    </command>`), false],
  ['39-command-raw-type', () => commands(`<command name='cmd1' type='raw'>\necho "hello" > /tmp/foo\n    </command>`), true],
  ['40-command-base64-type', () => commands(`<command name='cmd1' type='base64'>ZWNobyAiaGVsbG8iID4gL3RtcC9mb28K</command>`), true],
  ['41-command-bogus-base64', () => commands(`<command name='cmd1' type='base64'>ZWNobyAiaGVsbG8iID4gL3RtcC!28K</command>`), false],
  ['42-command-bogus-type', () => commands(`<command name='cmd1' type='mytype'>ZWNobyAiaGVsbG8iID4gL3RtcC!28K</command>`), false],
  [
    '43-persisted-repos',
    () =>
      withBody(
        `<repositories>\n    <!-- ways to write a bool -->\n${persistedValues
          .map(
            (v, i) => `    ${repo(`<url>http://path/to/my/repo-${i + 1}</url><persisted>${v}</persisted>`, ` name='persist-${i + 1}-${i < 6 ? 'false' : 'true'}'`)}`,
          )
          .join('\n')}\n  </repositories>`,
      ),
    true,
  ],
  ['44-version', () => tdl({ attributes: ' version="1.0"' }), true],
  ['45-bogus-version', () => tdl({ attributes: ' version="2.0"' }), false],
  ['46-duplicate-name', () => tdl({ attributes: ' version="1.0"', name: 'rhel5-u7</name>\n  <name>rhel5-u7' }), false],
  ['47-invalid-template', () => tdl({ root: 'templ', attributes: ' version="1.0"' }), false],
  ['48-file-empty-base64', () => files("<file name='/tmp/foo' type='base64'></file>"), true],
  ['49-file-empty-raw', () => files("<file name='/tmp/foo' type='raw'></file>"), true],
  ['50-command-base64-empty', () => commands("<command name='zazz' type='base64'></command>"), false],
  ['51-disk-size', () => disk('10'), true],
  ['52-command-file-url', () => commands("<command name='cmd1' type='url'>file://./tests/tdl/hello.cmd</command>"), true],
  ['53-command-http-url', () => commands("<command name='cmd1' type='url'>https://raw.example.com/oz/master/tests/tdl/hello.cmd</command>"), true],
  ['54-files-file-url', () => files("<file name='/tmp/foo' type='url'>file://tests/tdl/hello.cmd</file>"), true],
  ['55-files-http-url', () => files("<file name='/tmp/foo' type='url'>https://raw.example.com/oz/master/tests/tdl/hello.cmd</file>"), true],
  ['56-invalid-disk-size', () => disk('10E'), false],
  ['57-invalid-disk-size', () => disk('T10'), false],
  ['58-disk-size-tebibyte-compat', () => disk('10T'), true],
  [
    '59-command-sorting',
    () =>
      commands(
        `<command name='cmd1' position="1">echo 1</command><command name='cmd2' position="3">echo 3</command><command name='cmd3' position="2">echo 2</command>`,
      ),
    true,
  ],
  [
    '60-command-mix-positions-and-not',
    () => commands(`<command name='cmd1' position="1">echo 1</command><command name='cmd2' position="3">echo 3</command><command name='cmd3'>echo x</command>`),
    false,
  ],
  [
    '61-command-duplicate-position',
    () =>
      commands(
        `<command name='cmd1' position="1">echo 1</command><command name='cmd2' position="3">echo 3</command><command name='cmd3' position="1">echo x</command>`,
      ),
    false,
  ],
  ['62-repository-localhost', () => withBody(`<repositories>${repo('<url>http://localhost/to/my/repo</url><signed>yes</signed>')}</repositories>`), false],
  ['63-disk-size-exbibyte', () => disk('2EiB'), true],
  ['64-disk-size-zettabyte', () => disk('10ZB'), true],
  ['65-disk-size-byte', () => disk('10000000 B'), true],
];

/** Why each invalid case is invalid: the one problem ozkit must report for it. */
export const reasons: Record<string, RegExp> = {
  '03-empty-template': /^t\.tdl:1:1: <template> has no <name>$/,
  '04-no-os': /^t\.tdl:1:1: <template> has no <os>$/,
  '05-no-name': /^t\.tdl:1:1: <template> has no <name>$/,
  '09-os-invalid-arch': /^t\.tdl:6:5: <arch> must be one of .*, not "arm"$/,
  '10-os-invalid-install-type': /^t\.tdl:7:14: <install> type must be "iso" or "url", not "foo"$/,
  '12-os-no-name': /^t\.tdl:3:3: <os> has no <name>$/,
  '13-os-no-version': /^t\.tdl:3:3: <os> has no <version>$/,
  '14-os-no-arch': /^t\.tdl:3:3: <os> has no <arch>$/,
  '15-os-no-install': /^t\.tdl:3:3: <os> has no <install>$/,
  '17-repo-invalid-signed': /<signed> must be true, false, yes or no \(any case\), not "foo"$/,
  '20-multiple-install': /^t\.tdl:8:5: <install> appears more than once in <os> \(first at 7:5\)$/,
  '21-missing-install-type': /<install> has no type attribute/,
  '25-md5sum-and-sha1sum': /<sha1sum>: only one of <md5sum>, <sha1sum> and <sha256sum> may be given/,
  '26-md5sum-and-sha256sum': /<sha256sum>: only one of/,
  '27-sha1sum-and-sha256sum': /<sha256sum>: only one of/,
  '28-package-no-name': /<package> has no name attribute$/,
  '30-file-no-name': /<file> has no name attribute$/,
  '33-file-invalid-type': /<file> type must be raw, base64 or url, not "foo"$/,
  '34-file-invalid-base64': /<file> content is not base64/,
  '35-repository-no-name': /<repository> has no name attribute$/,
  '36-repository-no-url': /<repository> has no <url>$/,
  '38-command-no-name': /<command> has no name attribute$/,
  '41-command-bogus-base64': /<command> content is not base64/,
  '42-command-bogus-type': /<command> type must be raw, base64 or url, not "mytype"$/,
  '45-bogus-version': /^t\.tdl:1:11: TDL version "2\.0" is not supported/,
  '46-duplicate-name': /^t\.tdl:3:3: <name> appears more than once in <template> \(first at 2:3\)$/,
  '47-invalid-template': /^t\.tdl:1:1: the root element must be <template>, not <templ>$/,
  '50-command-base64-empty': /<command> is empty: empty commands are not allowed$/,
  '56-invalid-disk-size': /disk size "10E": unit "E" is not accepted/,
  '57-invalid-disk-size': /disk size "T10" is not a whole number/,
  '60-command-mix-positions-and-not': /<command> has no position, but other commands in <commands> do/,
  '61-command-duplicate-position': /<command> position 1 is used twice \(first at/,
  '62-repository-localhost': /repository "myrepo" is on localhost: the guest must reach it/,
};
