import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { injectIntoInitrd, initrdFormat, listInitrd } from './inject.js';
import { writeNewc } from './newc.js';

const DEBIAN_INITRD = '/usr/lib/debian-installer/images/12/amd64/text/debian-installer/amd64/initrd.gz';
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'ozkit-initrd-'));
  dirs.push(d);
  return d;
}

describe('injectIntoInitrd', () => {
  it.runIf(existsSync(DEBIAN_INITRD))('appends preseed.cfg to the real d-i initrd as a gzip member gzip and busybox cpio accept', async () => {
    const dir = tmp();
    const dest = join(dir, 'initrd.gz');
    const preseed = 'd-i debian-installer/locale string en_US\n';
    const result = await injectIntoInitrd({ source: DEBIAN_INITRD, dest, entries: [{ name: '/preseed.cfg', type: 'file', data: preseed }] });
    const original = statSync(DEBIAN_INITRD).size;
    expect(result.originalBytes).toBe(original);
    expect(statSync(dest).size).toBe(original + result.appendedBytes);
    // The original bytes are untouched and the whole file is a valid multi-member gzip stream.
    expect(readFileSync(dest).subarray(0, original).equals(readFileSync(DEBIAN_INITRD))).toBe(true);
    execFileSync('gzip', ['-t', dest]);
    // The appended member alone, unpacked by real tools.
    const out = join(dir, 'x');
    execFileSync('sh', ['-c', `mkdir ${out} && cd ${out} && tail -c +${original + 1} ${dest} | gzip -dc | busybox cpio -i -d 2>/dev/null`]);
    expect(readdirSync(out)).toEqual(['preseed.cfg']);
    expect(readFileSync(join(out, 'preseed.cfg'), 'utf8')).toBe(preseed);
    // What the kernel sees: d-i's own files, then ours last.
    const members = listInitrd(readFileSync(dest));
    expect(members.some((m) => m.name === 'sbin/init' || m.name === 'init')).toBe(true);
    expect(members.at(-1)?.name).toBe('preseed.cfg');
  });

  it('handles an uncompressed early cpio followed by a compressed part (Red Hat microcode layout)', async () => {
    const dir = tmp();
    const src = join(dir, 'initrd.img');
    writeFileSync(
      src,
      Buffer.concat([
        writeNewc([{ name: 'kernel/x86/microcode/GenuineIntel.bin', type: 'file', data: 'ucode' }]),
        gzipSync(writeNewc([{ name: 'init', type: 'file', data: '#!/bin/sh\n', mode: 0o755 }])),
      ]),
    );
    const dest = join(dir, 'out.img');
    await injectIntoInitrd({ source: src, dest, entries: [{ name: 'ks.cfg', type: 'file', data: 'text\n' }] });
    const names = listInitrd(readFileSync(dest)).map((m) => m.name);
    expect(names).toEqual(['kernel', 'kernel/x86', 'kernel/x86/microcode', 'kernel/x86/microcode/GenuineIntel.bin', 'init', 'ks.cfg']);
  });

  it('refuses a file that is not an initrd and leaves nothing behind', async () => {
    const dir = tmp();
    const src = join(dir, 'vmlinuz');
    writeFileSync(src, 'MZ not an initrd');
    await expect(injectIntoInitrd({ source: src, dest: join(dir, 'out'), entries: [] })).rejects.toMatchObject({ code: 'BAD_MEDIA' });
    expect(readdirSync(dir)).toEqual(['vmlinuz']);
    await expect(injectIntoInitrd({ source: join(dir, 'missing'), dest: join(dir, 'out'), entries: [] })).rejects.toMatchObject({ code: 'INPUT_MISSING' });
  });

  it('recognises compressions by magic', () => {
    expect(initrdFormat(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0, 1, 2]))).toBe('xz');
    expect(initrdFormat(Buffer.from('070701000'))).toBe('cpio');
    expect(initrdFormat(Buffer.from('hello'))).toBeUndefined();
  });

  it('copies the source even when dest is in another directory', async () => {
    const dir = tmp();
    const src = join(dir, 'i.gz');
    writeFileSync(src, gzipSync(writeNewc([{ name: 'init', type: 'file', data: 'x' }])));
    const other = tmp();
    copyFileSync(src, join(other, 'keep'));
    await injectIntoInitrd({ source: src, dest: join(other, 'i.gz'), entries: [{ name: 'a', type: 'file', data: 'b' }] });
    expect(listInitrd(readFileSync(join(other, 'i.gz'))).map((m) => m.name)).toEqual(['init', 'a']);
  });
});
