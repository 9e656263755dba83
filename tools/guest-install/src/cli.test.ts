import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { buildTinyGuest, tinyInstallDocument } from './tiny-install.test-support.js';

const bin = new URL('../bin/guest-install.js', import.meta.url).pathname;
let root: string;
let guest: { kernel: string; initrd: string };
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'guest-install-cli-'));
  guest = buildTinyGuest(root);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
function run(doc: unknown, args: string[] = [], env: Record<string, string> = {}) {
  return execa(process.execPath, [bin, ...args], {
    input: JSON.stringify(doc) + '\n',
    reject: false,
    env: { OZKIT_CACHE_DIR: join(root, 'cache'), OZKIT_ACCEL: 'tcg', ...env },
  });
}
const workdir = () => join(root, `w${n++}`);

describe('guest-install CLI (no VM needed)', () => {
  test('--help shows the flags and examples', async () => {
    const r = await execa(process.execPath, [bin, '--help'], { reject: false });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/--inactivity/);
    expect(r.stdout).toMatch(/--require-marker/);
    expect(r.stdout).toMatch(/Examples:/);
  });

  test('an unknown flag is a usage error (64)', async () => {
    const r = await run({}, ['--frobnicate']);
    expect(r.exitCode).toBe(64);
    expect(r.stderr).toMatch(/^guest-install: Unknown argument: frobnicate/m);
  });

  test('missing QEMU: exit 69 naming the apt package, and the failure goes down the pipe', async () => {
    const doc = tinyInstallDocument(workdir(), guest, 'success');
    const r = await run(doc, [], { PATH: '/nonexistent' });
    expect(r.exitCode).toBe(69);
    expect(r.stderr).toMatch(/guest-install: qemu-system-x86_64 not found on PATH/);
    expect(r.stderr).toMatch(/hint: install it: apt-get install qemu-system-x86/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace without -v
    const out = JSON.parse(r.stdout);
    expect(out.failure).toMatchObject({ stage: 'guest-install', code: 'PROGRAM_MISSING', exitCode: 69 });
  });

  test('an initrd that is not one: exit 65 naming the field and file', async () => {
    const doc = tinyInstallDocument(workdir(), guest, 'success');
    const bad = join(doc.workdir!, 'bad-initrd');
    writeFileSync(bad, 'this is not an initrd at all');
    (doc.media!.boot as { initrd: string }).initrd = bad;
    const r = await run(doc);
    expect(r.exitCode).toBe(65);
    expect(r.stderr).toContain(`guest-install: media.boot.initrd: ${bad} is not an initrd`);
  });

  test('an ISO that is not ISO 9660: exit 65; a missing ISO: exit 66', async () => {
    const doc = tinyInstallDocument(workdir(), guest, 'success');
    const junk = join(doc.workdir!, 'junk.iso');
    writeFileSync(junk, Buffer.alloc(40000, 7));
    doc.media!.boot = { method: 'iso', iso: junk, sha256: 'x' };
    let r = await run(doc);
    expect(r.exitCode).toBe(65);
    expect(r.stderr).toMatch(/media\.boot\.iso: .*junk\.iso is not an ISO 9660 image/);
    doc.media!.boot = { method: 'iso', iso: join(doc.workdir!, 'gone.iso'), sha256: 'x' };
    r = await run(doc);
    expect(r.exitCode).toBe(66);
    expect(r.stderr).toMatch(/gone\.iso: no such file/);
  });

  test('a document without media says which stage to run', async () => {
    const doc = tinyInstallDocument(workdir(), guest, 'success');
    delete doc.media;
    const r = await run(doc);
    expect(r.exitCode).toBe(65);
    expect(r.stderr).toMatch(/build document has no "media"/);
    expect(r.stderr).toMatch(/hint: run iso-fetch/);
  });

  test('a document that records an earlier failure is passed on untouched', async () => {
    const doc = { ...tinyInstallDocument(workdir(), guest, 'success'), failure: { stage: 'iso-fetch', code: 'NETWORK', message: 'mirror down', exitCode: 75 } };
    const r = await run(doc);
    expect(r.exitCode).toBe(75);
    expect(JSON.parse(r.stdout).failure.stage).toBe('iso-fetch');
  });

  test('a bad flag value is a usage error (64) naming the flag as typed', async () => {
    const r = await run(tinyInstallDocument(workdir(), guest, 'success'), ['--timeout', 'soon']);
    expect(r.exitCode).toBe(64);
    expect(r.stderr).toMatch(/guest-install: --timeout: "soon" is not a duration/);
    for (const [flag, value] of [
      ['--memory', '2x'],
      ['--cpus', '0'],
      ['--memory', '1.5'],
    ]) {
      const bad = await run(tinyInstallDocument(workdir(), guest, 'success'), [flag, value]);
      expect(bad.exitCode).toBe(64);
      expect(bad.stderr.split('\n')[0]).toBe(`guest-install: ${flag}: "${value}" is not a positive whole number`);
      expect(bad.stderr).not.toMatch(/mi-b|MiB:|\n\s+at /);
    }
  });

  test('--help comes from the option vocabulary: each setting flag names its config key and environment variable', async () => {
    const r = await execa(process.execPath, [bin, '--help'], { reject: false });
    const help = r.stdout.replace(/\s+/g, ' ');
    expect(help).toContain('--memory MIB guest memory in MiB [config [qemu] memory or [libvirt] memory; $OZKIT_MEMORY; default 2048]');
    expect(help).toMatch(/--connect URI run guests as libvirt domains .* \[config \[libvirt\] uri; \$OZKIT_CONNECT\]/);
  });
});
