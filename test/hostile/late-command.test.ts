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

const fixture = (name: string) => readFileSync(join(repoRoot, 'tools', 'ks-render', 'test-fixtures', name), 'utf8');

/** tdl-validate then ks-render --auto FILE for `os`; the run and the answer it recorded. */
function renderUserFile(dir: string, os: { name: string; version: string }, file: string, text: string, args: string[] = []) {
  mkdirSync(dir, { recursive: true });
  const tdl = join(dir, 'u.tdl');
  writeFileSync(
    tdl,
    `<template><name>u</name><os><name>${os.name}</name><version>${os.version}</version><arch>x86_64</arch><rootpw>pw</rootpw><install type="iso"><iso>file:///x.iso</iso></install></os></template>`,
  );
  const doc = spawnSync(process.execPath, [bin('tdl-validate'), '--workdir', join(dir, 'build'), tdl], { encoding: 'utf8', env });
  expect(doc.status, doc.stderr).toBe(0);
  const auto = join(dir, file);
  writeFileSync(auto, text);
  const r = spawnSync(process.execPath, [bin('ks-render'), '--auto', auto, ...args], { input: doc.stdout, encoding: 'utf8', env });
  return { status: r.status, stderr: r.stderr, answer: r.status === 0 ? (JSON.parse(r.stdout) as BuildDocument).answer! : undefined };
}

/** Runs `script` in /bin/sh with the guest's root (`target`: / chrooted, /target not) and serial port made local; true when key and marker landed. */
function buildAccessWorks(dir: string, script: string, answer: NonNullable<BuildDocument['answer']>, target: string): boolean {
  const serial = join(dir, 'serial');
  rmSync(serial, { force: true });
  const t = join(dir, 'target');
  const moved = target === '/' ? script.replaceAll('/root/', `${t}/root/`).replaceAll('/usr/sbin/', `${t}/usr/sbin/`) : script.replaceAll(target, t);
  const local = moved.replace(/\/dev\/ttyS0|\/dev\/ttyAMA0|\/dev\/hvc0/g, serial);
  mkdirSync(join(dir, 'target', 'usr', 'sbin'), { recursive: true });
  writeFileSync(join(dir, 'target', 'usr', 'sbin', 'sshd'), '');
  chmodSync(join(dir, 'target', 'usr', 'sbin', 'sshd'), 0o755);
  spawnSync('/bin/sh', ['-c', local], { encoding: 'utf8' });
  const keys = join(dir, 'target', 'root', '.ssh', 'authorized_keys');
  const pub = readFileSync(answer.buildKey.publicKey, 'utf8').trim().split(' ').slice(0, 2).join(' ');
  return existsSync(keys) && readFileSync(keys, 'utf8').includes(pub) && existsSync(serial) && readFileSync(serial, 'utf8').includes(answer.marker);
}

describe("kickstart %post: a user section cannot swallow ozkit's (item 8, structural)", () => {
  const shapes: Record<string, string> = {
    'exits 0': '%post\necho user-ran\nexit 0\n%end\n',
    'set -e then a failing command': '%post\nset -e\nfalse\n%end\n',
    'ends in a backslash': '%post --nochroot\necho user-ran \\\n%end\n',
    'ends in a comment': '%post\necho user-ran # the rest is a comment\n%end\n',
    'a --nochroot section removing the keys': '%post --nochroot --interpreter=/bin/bash\nrm -f /mnt/sysimage/root/.ssh/authorized_keys\n%end\n',
  };
  for (const [name, section] of Object.entries(shapes))
    it(`${name}: ozkit's %post is its own last, chrooted section, and it installs the key and writes the marker`, async () => {
      const { parseKickstart } = await import('../../tools/ks-render/src/kickstart/kickstart-syntax.js');
      const dir = join(work, `ks-${name.replace(/\W+/g, '-')}`);
      const r = renderUserFile(dir, { name: 'CentOS', version: '7' }, 'user.ks', fixture('centos-7-seed.ks') + section, [
        // The Oz-era fixture has grammar slips (a capitalised command) that --lint warn lets through.
        '--lint',
        'warn',
      ]);
      expect(r.status, r.stderr).toBe(0);
      const ks = parseKickstart(readFileSync(r.answer!.path, 'utf8'));
      expect(ks.errors).toEqual([]);
      const sections = ks.items.filter((i) => i.kind === 'section');
      const ours = sections[sections.length - 1];
      // Last item of the file, a %post of its own: chrooted, the default shell, closed.
      expect(ks.items[ks.items.length - 1]).toBe(ours);
      expect(ours).toMatchObject({ name: '%post', args: [] });
      expect(ours.endLine).toBeDefined();
      for (const s of sections.slice(0, -1)) expect(s.endLine!, s.name).toBeLessThan(ours.line);
      const body = ours.body.map((l) => l.text).join('\n');
      expect(body).not.toContain('user-ran');
      expect(buildAccessWorks(dir, body, r.answer!, '/')).toBe(true);
    });

  it('a user %post that never ends its section is refused (65), naming its line', () => {
    const text = fixture('centos-7-seed.ks') + '%post\necho user-ran\n';
    const r = renderUserFile(join(work, 'ks-unclosed'), { name: 'CentOS', version: '7' }, 'user.ks', text);
    expect(r.status).toBe(65);
    expect(r.stderr).toMatch(new RegExp(`user\\.ks:${text.split('\n').length - 2}:1: %post section is never closed with %end`));
  });
});

describe("autoinstall late-commands: a user command cannot swallow ozkit's (item 8, structural)", () => {
  const shapes: Record<string, string> = {
    'ends in a comment': 'echo user-ran # the rest is a comment',
    'exits 0': 'echo user-ran; exit 0',
    'ends in a backslash': 'echo user-ran \\\\',
    'set -e then a failing command': 'set -e; echo user-ran; false',
  };
  for (const [name, command] of Object.entries(shapes))
    it(`${name}: ozkit's commands are list entries of their own after it, and they install the key and write the marker`, async () => {
      const { readYaml } = await import('../../tools/ks-render/src/autoinstall/yaml-reader.js');
      const dir = join(work, `ai-${name.replace(/\W+/g, '-')}`);
      const userData = fixture('ubuntu-22.04-user-data').replace('    - echo user-late > /target/etc/user-late', `    - "${command.replaceAll('"', '\\"')}"`);
      const r = renderUserFile(dir, { name: 'Ubuntu', version: '22.04' }, 'user-data', userData);
      expect(r.status, r.stderr).toBe(0);
      const rendered = readYaml(readFileSync(r.answer!.path, 'utf8'), 'user-data').docs![0] as { autoinstall: { 'late-commands': string[] } };
      const late = rendered.autoinstall['late-commands'];
      // The user's command stays one entry, first; subiquity runs each entry in its own sh -c.
      expect(late[0]).toBe(command.replaceAll('\\\\', '\\'));
      const ours = late.slice(1).filter((c) => c.includes(r.answer!.marker) || c.includes('authorized_keys'));
      expect(ours.length).toBeGreaterThanOrEqual(2);
      for (const c of ours) expect(c).not.toContain('user-ran');
      expect(buildAccessWorks(dir, ours.join('\n'), r.answer!, '/target')).toBe(true);
    });
});
