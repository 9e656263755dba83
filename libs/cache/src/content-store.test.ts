import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, openSync, writeSync, closeSync, ftruncateSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ContentStore } from './content-store.js';
import { ensureFreeSpace } from './free-space.js';
import { sparseCopy } from './file-copy.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'ozkit-store-'));
  dirs.push(d);
  return d;
}

describe('ContentStore', () => {
  it('puts, gets, lists and removes objects atomically', async () => {
    const store = new ContentStore(join(tmp(), 'isos'));
    expect(await store.get('abc')).toBeUndefined();
    const entry = await store.put('abc', (work) => writeFile(work, 'hello'));
    expect(entry.bytes).toBe(5);
    expect(readFileSync(store.path('abc'), 'utf8')).toBe('hello');
    expect((await store.list()).map((e) => e.key)).toEqual(['abc']);
    expect(readdirSync(join(store.root, '.tmp'))).toEqual([]);
    await store.remove('abc');
    expect(await store.get('abc')).toBeUndefined();
  });

  it('leaves nothing under the key when the writer fails', async () => {
    const store = new ContentStore(join(tmp(), 's'));
    await expect(
      store.put('bad', async (work) => {
        await writeFile(work, 'half');
        throw new Error('checksum mismatch');
      }),
    ).rejects.toThrow('checksum mismatch');
    expect(existsSync(store.path('bad'))).toBe(false);
    expect(readdirSync(join(store.root, '.tmp'))).toEqual([]);
  });

  it('refuses keys that could escape the store', () => {
    const store = new ContentStore(join(tmp(), 's'));
    expect(() => store.path('../x')).toThrow(/invalid cache key/);
    expect(() => store.path('.hidden')).toThrow(/invalid cache key/);
    expect(() => store.path('a/b')).toThrow(/invalid cache key/);
  });

  it('keeps refs', async () => {
    const store = new ContentStore(join(tmp(), 's'));
    await store.writeRef('url-1', { key: 'abc', url: 'http://x/y.iso' });
    expect(await store.readRef('url-1')).toEqual({ key: 'abc', url: 'http://x/y.iso' });
    expect(await store.readRef('nope')).toBeUndefined();
    await store.removeRef('url-1');
    expect(await store.readRef('url-1')).toBeUndefined();
  });

  it('checks free space before a write that cannot fit', async () => {
    const store = new ContentStore(join(tmp(), 's'));
    await expect(store.put('huge', async () => undefined, { expectedBytes: 2 ** 60 })).rejects.toMatchObject({ code: 'NO_SPACE' });
    await expect(ensureFreeSpace(store.root, 2 ** 60, 'a test')).rejects.toThrow(/not enough free space for a test/);
    await ensureFreeSpace(store.root, 1024, 'a test');
  });

  it('putFile copies and sparseCopy keeps holes', async () => {
    const dir = tmp();
    const src = join(dir, 'disk.raw');
    const fd = openSync(src, 'w');
    ftruncateSync(fd, 64 * 1024 * 1024);
    writeSync(fd, Buffer.from('data at start'), 0, 13, 0);
    writeSync(fd, Buffer.from('data at end'), 0, 11, 64 * 1024 * 1024 - 11);
    closeSync(fd);
    const dest = join(dir, 'copy.raw');
    const r = await sparseCopy(src, dest);
    expect(r.bytes).toBe(64 * 1024 * 1024);
    expect(r.dataBytes).toBe(2 * 1024 * 1024);
    expect(readFileSync(dest).equals(readFileSync(src))).toBe(true);
    expect(statSync(dest).blocks * 512).toBeLessThanOrEqual(4 * 1024 * 1024);
    const store = new ContentStore(join(dir, 's'));
    writeFileSync(join(dir, 'small'), 'x');
    const e = await store.putFile('small', join(dir, 'small'));
    expect(readFileSync(e.path, 'utf8')).toBe('x');
  });
});
