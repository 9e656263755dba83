import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { OzkitError } from '@ozkit/errors';
import { archiveMirror, hostArchiveMirror, readAptSources } from './index.js';

const scratch = mkdtempSync(join(tmpdir(), 'ozkit-apt-sources-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let roots = 0;
/** A host root holding these files (paths relative to it). */
function hostRoot(files: Record<string, string>): string {
  const root = join(scratch, `root-${++roots}`);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const debian12 = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n';
const ubuntu2204 = 'NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID="22.04"\nVERSION_CODENAME=jammy\nUBUNTU_CODENAME=jammy\n';

// A Debian 12 container's deb822 file, with a comment inside each stanza as the image has.
const debianSources = `Types: deb
# http://snapshot.example.org/archive/debian/20250520T000000Z
URIs: http://mirror.example/debian/
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
# http://snapshot.example.org/archive/debian-security/20250520T000000Z
URIs: http://security.mirror.example/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
`;

describe('readAptSources', () => {
  it('reads sources.list, then sources.list.d by name, one-line and deb822, with lines', () => {
    const root = hostRoot({
      'etc/apt/sources.list':
        '# the archive\ndeb [arch=amd64 signed-by=/usr/share/keyrings/a.gpg] http://one.example/debian bookworm main contrib # trailing\ndeb-src http://one.example/debian bookworm main\n',
      'etc/apt/sources.list.d/b.sources':
        'Types: deb deb-src\nURIs: http://two.example/debian\n  http://three.example/debian\nSuites: bookworm\nComponents: main\nEnabled: no\n',
      'etc/apt/sources.list.d/a.list': '\n\ndeb http://four.example/debian bookworm main\n',
      'etc/apt/sources.list.d/c.list.disabled-by-farm': 'deb http://five.example/debian bookworm main\n',
      'etc/apt/sources.list.d/d.sources.save': 'Types: deb\nURIs: http://six.example/debian\nSuites: bookworm\nComponents: main\n',
    });
    const entries = readAptSources(root);
    expect(entries.map((e) => [e.file.slice(root.length), e.line, e.types, e.uris, e.suites, e.components, e.enabled])).toEqual([
      ['/etc/apt/sources.list', 2, ['deb'], ['http://one.example/debian'], ['bookworm'], ['main', 'contrib'], true],
      ['/etc/apt/sources.list', 3, ['deb-src'], ['http://one.example/debian'], ['bookworm'], ['main'], true],
      ['/etc/apt/sources.list.d/a.list', 3, ['deb'], ['http://four.example/debian'], ['bookworm'], ['main'], true],
      ['/etc/apt/sources.list.d/b.sources', 1, ['deb', 'deb-src'], ['http://two.example/debian', 'http://three.example/debian'], ['bookworm'], ['main'], false],
    ]);
  });

  it('is empty for a host without apt', () => {
    expect(readAptSources(hostRoot({ 'etc/os-release': 'ID=fedora\n' }))).toEqual([]);
  });
});

describe('hostArchiveMirror', () => {
  it("takes the archive and the security archive from a Debian host's deb822 file", () => {
    const root = hostRoot({ 'etc/os-release': debian12, 'etc/apt/sources.list.d/debian.sources': debianSources });
    expect(hostArchiveMirror('debian', root)).toEqual({
      url: 'http://mirror.example/debian',
      security: 'http://security.mirror.example/debian-security',
      source: join(root, 'etc/apt/sources.list.d/debian.sources:1'),
    });
  });

  it('skips disabled stanzas, disabled files, deb-src, other suites and non-http URIs for the one-line format', () => {
    const root = hostRoot({
      'usr/lib/os-release': debian12,
      'etc/apt/sources.list':
        'deb cdrom:[Debian GNU/Linux 12]/ bookworm main\n' +
        'deb-src http://src.example/debian bookworm main\n' +
        'deb https://packages.example.com/apt cloud-sdk-bookworm main\n' +
        'deb http://old.example/debian bullseye main\n' +
        'deb http://security.example/debian-security bookworm-security main\n',
      'etc/apt/sources.list.d/a-off.sources': 'Types: deb\nURIs: http://off.example/debian\nSuites: bookworm\nComponents: main\nEnabled: no\n',
      'etc/apt/sources.list.d/b.list.disabled-by-farm': 'deb http://farm.example/debian bookworm main\n',
      'etc/apt/sources.list.d/c.sources': 'Types: deb\nURIs: https://deb.nodesource.example/node_20.x\nSuites: nodistro\nComponents: main\n',
      'etc/apt/sources.list.d/z.list': 'deb [trusted=yes] http://archive.example/debian/ bookworm main non-free-firmware\n',
    });
    expect(hostArchiveMirror('debian', root)).toEqual({
      url: 'http://archive.example/debian',
      security: 'http://security.example/debian-security',
      source: join(root, 'etc/apt/sources.list.d/z.list:1'),
    });
  });

  it('answers only for the distribution the host runs', () => {
    const root = hostRoot({
      'etc/os-release': ubuntu2204,
      'etc/apt/sources.list': 'deb http://mirror.example/ubuntu jammy main restricted\ndeb http://mirror.example/ubuntu jammy-security main\n',
    });
    expect(hostArchiveMirror('debian', root)).toBeUndefined();
    expect(hostArchiveMirror('ubuntu', root)).toMatchObject({ url: 'http://mirror.example/ubuntu', security: 'http://mirror.example/ubuntu' });
  });

  it('is undefined for a Debian host whose sources name no archive for its release', () => {
    const root = hostRoot({ 'etc/os-release': debian12, 'etc/apt/sources.list': 'deb http://mirror.example/debian bookworm-backports main\n' });
    expect(hostArchiveMirror('debian', root)).toBeUndefined();
  });
});

describe('archiveMirror', () => {
  const debianHost = () => hostRoot({ 'etc/os-release': debian12, 'etc/apt/sources.list.d/debian.sources': debianSources });

  it('the setting wins over the host (the host still gives the security archive)', () => {
    expect(archiveMirror('debian', { setting: 'http://127.0.0.1:9/debian', root: debianHost() })).toEqual({
      url: 'http://127.0.0.1:9/debian',
      security: 'http://security.mirror.example/debian-security',
      source: 'OZKIT_DEBIAN_MIRROR / [ozkit] debian_mirror',
    });
  });

  it("else the host's apt sources", () => {
    expect(archiveMirror('debian', { root: debianHost() }).url).toBe('http://mirror.example/debian');
  });

  it('else a usage error (64) naming the setting, never a built-in host', () => {
    const fedora = hostRoot({ 'etc/os-release': 'ID=fedora\nVERSION_ID=41\n' });
    for (const [distro, root, message] of [
      ['debian', fedora, /^no Debian archive mirror: OZKIT_DEBIAN_MIRROR is not set and the host is not Debian/],
      ['ubuntu', debianHost(), /^no Ubuntu archive mirror: OZKIT_UBUNTU_MIRROR is not set and the host is not Ubuntu/],
      [
        'debian',
        hostRoot({ 'etc/os-release': debian12 }),
        /^no Debian archive mirror: OZKIT_DEBIAN_MIRROR is not set and the host's apt sources \(.*\/etc\/apt\) name no Debian archive$/,
      ],
    ] as const) {
      let error: unknown;
      try {
        archiveMirror(distro, { root });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(OzkitError);
      expect((error as OzkitError).message).toMatch(message);
      expect((error as OzkitError).exitCode).toBe(64);
      expect((error as OzkitError).hint).toBe(
        `set OZKIT_${distro.toUpperCase()}_MIRROR=http://<your mirror>/${distro} or [ozkit] ${distro}_mirror in the config file`,
      );
    }
  });
});
