import { mkdtempSync, readFileSync, rmSync, statSync, lstatSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { parentDirectories, readNewc, writeNewc } from './newc.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'ozkit-newc-'));
  dirs.push(d);
  return d;
}

describe('writeNewc', () => {
  it('writes an archive busybox cpio extracts with the same files, modes and links', () => {
    const archive = writeNewc([
      { name: '/preseed.cfg', type: 'file', data: 'd-i debian-installer/locale string en_US\n', mode: 0o600 },
      { name: 'etc/ozkit/odd-length', type: 'file', data: Buffer.from([1, 2, 3]) },
      { name: 'etc/ozkit/link', type: 'symlink', data: 'odd-length' },
      { name: 'empty', type: 'file', data: '' },
    ]);
    expect(archive.length % 4).toBe(0);
    const dir = tmp();
    const file = join(dir, 'a.cpio');
    writeFileSync(file, archive);
    const listing = execFileSync('busybox', ['cpio', '-t', '-F', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    expect(listing.trim().split('\n')).toEqual(['preseed.cfg', 'etc', 'etc/ozkit', 'etc/ozkit/odd-length', 'etc/ozkit/link', 'empty']);
    const out = join(dir, 'x');
    execFileSync('sh', ['-c', `mkdir ${out} && cd ${out} && busybox cpio -i -d -F ${file} 2>/dev/null`]);
    expect(readFileSync(join(out, 'preseed.cfg'), 'utf8')).toBe('d-i debian-installer/locale string en_US\n');
    expect(statSync(join(out, 'preseed.cfg')).mode & 0o777).toBe(0o600);
    expect([...readFileSync(join(out, 'etc/ozkit/odd-length'))]).toEqual([1, 2, 3]);
    expect(lstatSync(join(out, 'etc/ozkit/link')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(out, 'etc/ozkit/link'))).toBe('odd-length');
    expect(statSync(join(out, 'empty')).size).toBe(0);
  });

  it('round-trips through readNewc, including concatenated archives', () => {
    const a = writeNewc([{ name: 'ks.cfg', type: 'file', data: 'text\n' }]);
    const b = writeNewc([{ name: 'ks.cfg', type: 'file', data: 'newer\n' }]);
    const members = readNewc(Buffer.concat([a, Buffer.alloc(8), b]));
    expect(members.map((m) => [m.name, m.data.toString()])).toEqual([
      ['ks.cfg', 'text\n'],
      ['ks.cfg', 'newer\n'],
    ]);
  });

  it('is reproducible (fixed mtime and inode numbers)', () => {
    const entries = [{ name: 'a/b', type: 'file' as const, data: 'x' }];
    expect(writeNewc(entries).equals(writeNewc(entries))).toBe(true);
  });

  it('refuses names that escape the archive root and duplicates', () => {
    expect(() => writeNewc([{ name: '../etc/passwd', type: 'file', data: '' }])).toThrow(/invalid cpio member name/);
    expect(() => writeNewc([{ name: '/', type: 'file', data: '' }])).toThrow(/invalid cpio member name/);
    expect(() =>
      writeNewc([
        { name: 'a', type: 'file', data: '' },
        { name: '/a', type: 'file', data: '' },
      ]),
    ).toThrow(/duplicate/);
  });

  it('lists parent directories in creation order', () => {
    expect(parentDirectories('/a/b/c.cfg')).toEqual(['a', 'a/b']);
    expect(parentDirectories('ks.cfg')).toEqual([]);
  });
});
