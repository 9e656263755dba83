import { describe, expect, it } from 'vitest';
import { OzkitError } from '@ozkit/errors';
import { parseDebInventory, parseExtraOutput, parseRpmInventory, splitDebianVersion } from './parse-inventory.js';
import { fullVersion, icicleName, isInstalled } from './package-identity.js';

describe('parseRpmInventory', () => {
  it('reads name, epoch, version, release and arch in database order', () => {
    const out = 'bash\t(none)\t4.2.46\t34.el7\tx86_64\n' + 'openssl-libs\t1\t1.0.2k\t26.el7_9\tx86_64\n' + 'gpg-pubkey\t(none)\tf4a80eb5\t53a7ff4b\t(none)\n';
    const pkgs = parseRpmInventory(out);
    expect(pkgs).toEqual([
      { name: 'bash', version: '4.2.46', release: '34.el7', arch: 'x86_64' },
      { name: 'openssl-libs', epoch: '1', version: '1.0.2k', release: '26.el7_9', arch: 'x86_64' },
      { name: 'gpg-pubkey', version: 'f4a80eb5', release: '53a7ff4b', arch: '' },
    ]);
    // What plain `rpm -qa` (%{nvra}) prints for the same packages.
    expect(pkgs.map((p) => icicleName(p, 'rpm'))).toEqual(['bash-4.2.46-34.el7.x86_64', 'openssl-libs-1.0.2k-26.el7_9.x86_64', 'gpg-pubkey-f4a80eb5-53a7ff4b']);
    expect(fullVersion(pkgs[1], 'rpm')).toBe('1.0.2k-26.el7_9');
  });

  it('reports every malformed line with its line number', () => {
    const out = 'bash\t(none)\t4.2\t1\tx86_64\nbroken line\nzsh\tx\t5\t1\tx86_64\n';
    try {
      parseRpmInventory(out);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(OzkitError);
      const msg = (e as Error).message;
      expect(msg).toContain('rpm -qa output:2: expected 5 TAB-separated fields');
      expect(msg).toContain('rpm -qa output:3: epoch "x" of zsh is not a number');
    }
  });
});

describe('parseDebInventory', () => {
  it('splits Debian versions and keeps the --get-selections name', () => {
    const out =
      'adduser\tadduser\t3.134\tall\tii \n' +
      'libc6:amd64\tlibc6\t2.36-9+deb12u4\tamd64\tii \n' +
      'libgcrypt20:amd64\tlibgcrypt20\t1.10.1-3\tamd64\tii \n' +
      'old-thing\told-thing\t2:1.0-1\tamd64\trc \n';
    const pkgs = parseDebInventory(out);
    expect(pkgs[0]).toEqual({ name: 'adduser', version: '3.134', arch: 'all', status: 'ii' });
    expect(pkgs[1]).toEqual({ name: 'libc6', version: '2.36', release: '9+deb12u4', arch: 'amd64', qualifiedName: 'libc6:amd64', status: 'ii' });
    expect(pkgs[3]).toMatchObject({ epoch: '2', version: '1.0', release: '1', status: 'rc' });
    expect(pkgs.map((p) => icicleName(p, 'deb'))).toEqual(['adduser', 'libc6:amd64', 'libgcrypt20:amd64', 'old-thing']);
    expect(fullVersion(pkgs[3], 'deb')).toBe('2:1.0-1');
    expect(pkgs.map(isInstalled)).toEqual([true, true, true, false]);
  });

  it('splits versions the way dpkg does', () => {
    expect(splitDebianVersion('1:2.3-4-5')).toEqual({ epoch: '1', version: '2.3-4', release: '5' });
    expect(splitDebianVersion('3.134')).toEqual({ version: '3.134' });
    expect(splitDebianVersion('1.0+dfsg-1~bpo12+1')).toEqual({ version: '1.0+dfsg', release: '1~bpo12+1' });
  });
});

describe('parseExtraOutput', () => {
  it('pairs one line per package', () => {
    expect(parseExtraOutput('a\nb\n', 2)).toEqual(['a', 'b']);
    expect(parseExtraOutput('a\n\n', 2)).toEqual(['a', '']);
  });
  it('refuses a count that does not match, as Oz does', () => {
    expect(() => parseExtraOutput('a\n', 2)).toThrow(/printed 1 line\(s\) but the package query listed 2/);
  });
});
