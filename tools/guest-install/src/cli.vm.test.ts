import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { buildTinyGuest, tinyInstallDocument, type TinyGuestMode } from './tiny-install.test-support.js';

const bin = new URL('../bin/guest-install.js', import.meta.url).pathname;
let root: string;
let guest: { kernel: string; initrd: string };
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'guest-install-cli-vm-'));
  guest = buildTinyGuest(root);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** PIDs of QEMU processes whose command line mentions `dir`. */
function qemuProcessesFor(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes('qemu-system') && cmdline.includes(dir)) pids.push(Number(entry));
    } catch {
      // gone
    }
  }
  return pids;
}

async function waitUntil(check: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 200));
  }
}

let n = 0;
function start(
  mode: TinyGuestMode,
  args: string[] = [],
  env: Record<string, string> = {},
  docOptions = {},
): { workdir: string; child: ResultPromise<{ reject: false; input: string; env: Record<string, string> }> } {
  const workdir = join(root, `w${n++}-${mode}`);
  const doc = tinyInstallDocument(workdir, guest, mode, docOptions);
  const child = execa(process.execPath, [bin, '--memory', '256', ...args], {
    input: JSON.stringify(doc) + '\n',
    reject: false,
    env: { OZKIT_CACHE_DIR: join(root, 'cache'), OZKIT_ACCEL: 'tcg', ...env },
  });
  return { workdir, child };
}

const partials = (workdir: string) => readdirSync(workdir).filter((f) => f.includes('.partial-') || f.startsWith('.guest-install-run-') || f.endsWith('.qcow2'));

describe('guest-install CLI with the tiny guest', () => {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    test(`${signal} mid-install: exit ${code}, QEMU ended, no partial disk`, async () => {
      const { workdir, child } = start('sleep');
      await waitUntil(() => qemuProcessesFor(workdir).length > 0, 60_000);
      await new Promise((r) => setTimeout(r, 2000));
      child.kill(signal);
      const r = await child;
      expect(r.exitCode).toBe(code);
      expect(r.stderr).toMatch(signal === 'SIGINT' ? /interrupted \(SIGINT\)/ : /terminated \(SIGTERM\)/);
      expect(qemuProcessesFor(workdir)).toEqual([]);
      expect(partials(workdir)).toEqual([]);
      expect(JSON.parse(r.stdout).failure.code).toBe(signal === 'SIGINT' ? 'INTERRUPTED' : 'TERMINATED');
    }, 180_000);
  }

  test('SIGKILL of guest-install itself leaves no QEMU behind', async () => {
    const { workdir, child } = start('sleep');
    await waitUntil(() => qemuProcessesFor(workdir).length > 0, 60_000);
    child.kill('SIGKILL');
    await child;
    await waitUntil(() => qemuProcessesFor(workdir).length === 0, 10_000);
    expect(qemuProcessesFor(workdir)).toEqual([]);
  }, 180_000);

  test('JEOS cache: two runs at once never collide and install once (the second waits for the first); a third run is a cache hit in seconds', async () => {
    const env = { OZKIT_CACHE_DIR: join(root, 'jeos-cache') };
    const docOptions = { mediaSha: 'f'.repeat(64) };
    const a = start('success', ['--jeos-cache', '--log-format', 'json'], env, docOptions);
    const b = start('success', ['--jeos-cache', '--console'], env, docOptions);
    const [ra, rb] = await Promise.all([a.child, b.child]);
    expect([ra.exitCode, rb.exitCode, ra.stderr.slice(-500)]).toEqual([0, 0, ra.stderr.slice(-500)]);
    const da = JSON.parse(ra.stdout).disk;
    const db = JSON.parse(rb.stdout).disk;
    expect(da.jeos.key).toBe(db.jeos.key);
    expect([da.jeos.hit, db.jeos.hit].sort()).toEqual([false, true]);
    expect(ra.stderr + rb.stderr).toMatch(/another build is installing the same image/);
    expect(da.path).not.toBe(db.path);
    const installer = da.jeos.hit ? rb : ra;
    // the run that installed streamed the console (--console) or wrote NDJSON progress (--log-format json)
    if (installer === ra) {
      const events = ra.stderr
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(events.some((e) => e.event === 'progress')).toBe(true);
      expect(events.some((e) => e.event === 'install-started')).toBe(true);
    } else {
      expect(rb.stderr).toMatch(/tiny-guest: wrote 4 MiB/);
    }
    const entries = readdirSync(join(root, 'jeos-cache', 'jeos')).filter((f) => !f.startsWith('.'));
    expect(entries).toEqual([da.jeos.key]);

    const started = Date.now();
    const c = start('success', ['--jeos-cache'], env, docOptions);
    const rc = await c.child;
    const seconds = (Date.now() - started) / 1000;
    expect(rc.exitCode).toBe(0);
    expect(rc.stderr).toMatch(/JEOS cache hit .* install skipped/);
    const dc = JSON.parse(rc.stdout).disk;
    expect(dc.jeos).toMatchObject({ hit: true, key: da.jeos.key });
    expect(dc.markerSeen).toBe(true);
    expect(dc.buildKey.privateKey).toBe(join(c.workdir, 'jeos-build-key'));
    expect(statSync(dc.buildKey.privateKey).mode & 0o777).toBe(0o600);
    expect(dc.rootPassword).toEqual({ generated: true, file: join(c.workdir, 'jeos-root-password') });
    expect(readFileSync(dc.rootPassword.file, 'utf8')).toBe('generated-for-the-test\n');
    expect(seconds).toBeLessThan(15);
    const info = JSON.parse((await execa('qemu-img', ['info', '--output=json', dc.path])).stdout);
    expect(info['backing-filename']).toBe(dc.jeos.path);
    expect(existsSync(join(c.workdir, 'install-console.log'))).toBe(true);
    expect(qemuProcessesFor(root)).toEqual([]);
  }, 300_000);
});
