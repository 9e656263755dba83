/**
 * Issue 15 item 8: a user's preseed late_command cannot switch off build access. Each hostile
 * shape goes through the real ks-render, and the late_command it wrote is then run by a real
 * /bin/sh (in-target stubbed to run in a scratch root, the serial device a file), asserting the
 * build key is installed and the marker written.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { BuildDocument } from '@ozkit/build-document';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const work = mkdtempSync(join(tmpdir(), 'ozkit-late-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const bin = (tool: string) => join(repoRoot, 'tools', tool, 'bin', `${tool}.js`);
const env = { ...process.env, OZKIT_CONFIG: '/dev/null', OZKIT_CACHE_DIR: join(work, 'cache') };

const SEED = [
  'd-i debian-installer/locale string en_US',
  'd-i partman-auto/method string regular',
  'd-i partman/confirm boolean true',
  'd-i partman/confirm_nooverwrite boolean true',
  'd-i partman/choose_partition select finish',
  'd-i pkgsel/include string openssh-server',
];

/** The late_command value of a preseed, continuation lines joined. */
function lateCommand(preseed: string): string {
  const joined = preseed.replace(/\\\n/g, '');
  const line = joined.split('\n').find((l) => /^d-i\s+preseed\/late_command\s+string\s/.test(l))!;
  return line.replace(/^d-i\s+preseed\/late_command\s+string\s+/, '');
}

describe("preseed late_command: a user command cannot swallow ozkit's part (item 8)", () => {
  const shapes: Record<string, string> = {
    'ends in a comment': 'echo user-ran # the rest is a comment',
    'exits 0': 'echo user-ran; exit 0',
    'ends in a backslash': 'echo user-ran \\\\',
    'set -e then a failing command': 'set -e; echo user-ran; false',
    'has single quotes': "echo 'user-ran'",
  };
  for (const [name, command] of Object.entries(shapes))
    it(`${name}: the key is installed and the marker written`, () => {
      const dir = join(work, name.replace(/\W+/g, '-'));
      mkdirSync(dir, { recursive: true });
      const tdl = join(dir, 'd.tdl');
      writeFileSync(
        tdl,
        '<template><name>d</name><os><name>Debian</name><version>12</version><arch>x86_64</arch><install type="iso"><iso>file:///x.iso</iso></install></os></template>',
      );
      const doc = spawnSync(process.execPath, [bin('tdl-validate'), '--workdir', join(dir, 'build'), tdl], { encoding: 'utf8', env });
      expect(doc.status).toBe(0);
      const seed = join(dir, 'user.seed');
      writeFileSync(seed, [...SEED, `d-i preseed/late_command string ${command}`, ''].join('\n'));
      const r = spawnSync(process.execPath, [bin('ks-render'), '--auto', seed], { input: doc.stdout, encoding: 'utf8', env });
      expect(r.stderr).not.toMatch(/error/);
      expect(r.status).toBe(0);
      const answer = (JSON.parse(r.stdout) as BuildDocument).answer!;
      const late = lateCommand(readFileSync(answer.path, 'utf8'));
      // The target system and the serial port, made local: in-target runs its command under ./target.
      const target = join(dir, 'target');
      mkdirSync(join(dir, 'stub'), { recursive: true });
      writeFileSync(join(dir, 'stub', 'in-target'), '#!/bin/sh\nexec "$@"\n');
      chmodSync(join(dir, 'stub', 'in-target'), 0o755);
      const serial = join(dir, 'serial');
      const local = late
        .replaceAll('/root/', `${target}/root/`)
        .replace(/\/dev\/ttyS0|\/dev\/ttyAMA0|\/dev\/hvc0/g, serial)
        .replace(' && in-target test -x /usr/sbin/sshd', '');
      const ran = spawnSync('/bin/sh', ['-c', local], { encoding: 'utf8', env: { ...process.env, PATH: `${join(dir, 'stub')}:${process.env.PATH}` } });
      expect(ran.stdout).toContain('user-ran');
      const keys = readFileSync(join(target, 'root', '.ssh', 'authorized_keys'), 'utf8');
      expect(keys).toContain(readFileSync(answer.buildKey.publicKey, 'utf8').trim().split(' ').slice(0, 2).join(' '));
      expect(existsSync(serial)).toBe(true);
      expect(readFileSync(serial, 'utf8')).toContain(answer.marker);
      expect(readFileSync(serial, 'utf8')).not.toContain(answer.failedMarker ?? 'OZKIT-NEVER');
    });
});
