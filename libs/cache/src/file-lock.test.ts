import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireLock } from './file-lock.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'ozkit-lock-'));
  dirs.push(d);
  return d;
}
const distIndex = fileURLToPath(new URL('../dist/index.js', import.meta.url));

describe('acquireLock', () => {
  it('excludes a second holder in the same process until released', async () => {
    const path = join(tmp(), 'k.lock');
    const a = await acquireLock(path);
    let waited = false;
    const order: string[] = [];
    const b = acquireLock(path, { onWait: () => (waited = true) }).then((l) => {
      order.push('b');
      return l;
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(order).toEqual([]);
    expect(waited).toBe(true);
    order.push('a-release');
    await a.release();
    const lb = await b;
    expect(order).toEqual(['a-release', 'b']);
    await lb.release();
    await lb.release(); // twice is harmless
  });

  it('times out with TIMEOUT and can be aborted', async () => {
    const path = join(tmp(), 'k.lock');
    const a = await acquireLock(path);
    await expect(acquireLock(path, { timeoutMs: 200 })).rejects.toMatchObject({ code: 'TIMEOUT' });
    const controller = new AbortController();
    const pending = acquireLock(path, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('stop')), 100);
    await expect(pending).rejects.toThrow('stop');
    await a.release();
  });

  it('lets a process that only awaits release() finish normally (the holder does not keep it alive, nor lets it exit early)', async () => {
    const path = join(tmp(), 'k.lock');
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `
      const { acquireLock } = await import(${JSON.stringify(distIndex)});
      const lock = await acquireLock(${JSON.stringify(path)});
      await lock.release();
      console.log('released');
    `,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(out.trim()).toBe('released');
    expect(code).toBe(0);
  });

  it('frees the lock when the holding process is killed (no stale lock)', async () => {
    const path = join(tmp(), 'k.lock');
    const holder = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `
      const { acquireLock } = await import(${JSON.stringify(distIndex)});
      await acquireLock(${JSON.stringify(path)});
      console.log('held');
      setInterval(() => {}, 1000);
    `,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve) => holder.stdout!.on('data', (d: Buffer) => d.toString().includes('held') && resolve()));
      await expect(acquireLock(path, { timeoutMs: 200 })).rejects.toMatchObject({ code: 'TIMEOUT' });
      holder.kill('SIGKILL');
      const lock = await acquireLock(path, { timeoutMs: 5000 });
      await lock.release();
    } finally {
      holder.kill('SIGKILL');
    }
  });
});
