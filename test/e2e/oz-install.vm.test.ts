/**
 * oz-install as an Oz user's script calls it: `oz-install -p -u -d3 -a FILE.preseed FILE.tdl`,
 * with an Oz-style ~/.oz/oz.cfg (output_dir in a temp dir), on the project's test installer. The
 * image must be at Oz's path, `<output_dir>/<name>.<image_type>`, with a libvirt XML named as
 * Oz names it; then the Oz commands that need no VM on that result: oz-generate-icicle (from the
 * inventory the customization took), oz-customize refusing the sealed image, and oz-install
 * refusing to overwrite it without -p.
 *
 * The install goes through the JEOS cache in the shared test cache: the answer file is the
 * user's preseed adapted by ks-render, a key of its own, so the first run on a fresh cache
 * installs (~2–6 min under TCG) and later runs skip it; the customization is one command.
 * That preseed is a user's that reboots and whose late_command fails: the install also shows
 * that ks-render's adaptation of such a file powers off with the build access in place.
 */
import { spawn, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testCacheRoot } from '../support/installed-image.js';
import { expectCompletedInstall, testInstallerIso, testMirror } from '../support/test-installer.js';

const repoRoot = join(import.meta.dirname, '..', '..');
const work = mkdtempSync(join(tmpdir(), 'ozkit-oz-install-vm-'));
const home = join(work, 'home');
const NAME = 'ozkit-oz-install';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}
let env: NodeJS.ProcessEnv;

function oz(tool: string, args: string[]): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, seconds: Math.round((Date.now() - started) / 1000) }));
  });
}

const qemuLeft = () =>
  execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
    .split('\n')
    .some((l) => l.includes('qemu-system') && l.includes(work));

beforeAll(async () => {
  const iso = await testInstallerIso();
  const sha256 = createHash('sha256').update(readFileSync(iso)).digest('hex');
  mkdirSync(join(home, '.oz'), { recursive: true });
  // Oz's own config format and keys; no [libvirt] uri, so QEMU runs directly.
  writeFileSync(
    join(home, '.oz', 'oz.cfg'),
    `[paths]
output_dir = ${work}/images
data_dir = ${join(testCacheRoot(), 'installed-image', 'ozkit-cache')}

[libvirt]
image_type = qcow2
cpus = 2
memory = 2048

[cache]
original_media = yes
modified_media = yes
jeos = yes

[timeouts]
install = 1800
inactivity = 600
boot = 900
`,
  );
  writeFileSync(
    join(work, `${NAME}.tdl`),
    `<template>
  <name>${NAME}</name>
  <description>oz-install drop-in test</description>
  <os>
    <name>Debian</name>
    <version>12</version>
    <arch>x86_64</arch>
    <rootpw>ozkit-oz-install</rootpw>
    <install type='iso'>
      <iso>file://${iso}</iso>
      <sha256sum>${sha256}</sha256sum>
    </install>
  </os>
  <disk>
    <size>4G</size>
  </disk>
  <commands>
    <command name='stamp'>echo made-by-oz-install > /etc/ozkit-oz-install</command>
  </commands>
</template>
`,
  );
  // The user's preseed is ks-render's fixture of one (tools/ks-render/test-fixtures): it reboots at
  // the end and has a late_command of its own, here made to fail under set -e and end in a comment
  // (issue 15 item 8): ks-render must still make it power off with the build key and the marker in
  // place. This install is ks-render's proof of that (its own VM test no longer installs it).
  const mirror = testMirror();
  const seed = readFileSync(join(repoRoot, 'tools/ks-render/test-fixtures/debian-12-user.seed'), 'utf8')
    .replace(/^(d-i mirror\/http\/hostname string ).*$/m, `$1${mirror.hostname}`)
    .replace(/^(d-i mirror\/http\/directory string ).*$/m, `$1${mirror.directory}`)
    .replace(/^( {4}in-target apt-get clean)$/m, "$1; set -e; false # the user's own comment");
  expect(seed).toContain("; set -e; false # the user's own comment");
  writeFileSync(join(work, `${NAME}.preseed`), seed);
  env = {
    ...process.env,
    HOME: home,
    PATH: `${join(repoRoot, 'node_modules', '.bin')}:${process.env.PATH}`,
    // The builds' documents and keys in the temp dir (the data_dir holds only the caches).
    OZKIT_WORKDIR: join(work, 'build'),
    OZKIT_ACCEL: process.env.OZKIT_ACCEL ?? 'auto',
  };
}, 30 * 60_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('oz-install (Oz drop-in)', () => {
  it('oz-install -p -u -d3 -a FILE.preseed FILE.tdl puts the customized image at <output_dir>/<name>.<image_type>', async () => {
    // -p with nothing to remove, as scripts call it every time.
    const r = await oz('oz-install', ['-p', '-u', '-d3', '-a', `${NAME}.preseed`, `${NAME}.tdl`]);
    const installed = existsSync(join(work, 'build', 'disk.json')) ? JSON.parse(readFileSync(join(work, 'build', 'disk.json'), 'utf8')) : undefined;
    console.log(`oz-install -p -u: ${r.seconds} s (JEOS cache ${installed?.disk?.jeos?.hit ? 'hit' : 'miss: installed'})`);
    expect(r.code, r.stderr.split('\n').slice(-40).join('\n')).toBe(0);
    // The user's rebooting preseed with its failing late_command, as installed (this run or the
    // run that filled the JEOS cache): read, ozkit's marker written, no failure, powered off.
    expect(installed.disk).toMatchObject({ markerSeen: true });
    expectCompletedInstall(readFileSync(join(dirname(installed.disk.jeos.path), 'install-console.log'), 'utf8'));
    const image = join(work, 'images', `${NAME}.qcow2`);
    expect(existsSync(image)).toBe(true);
    const info = JSON.parse(execFileSync('qemu-img', ['info', '--output=json', image], { encoding: 'utf8' }));
    expect(info).toMatchObject({ format: 'qcow2', 'virtual-size': 4 * 1024 ** 3 });
    expect(info['backing-filename']).toBeUndefined();
    // -d3 is ozkit's -v: the stages' debug lines come through.
    expect(r.stderr).toMatch(/^guest-customize: .*/m);
    expect(r.stderr).toMatch(/^ks-render: .*adapted preseed/m);
    // The libvirt XML under Oz's default name, in the current directory, naming the image.
    const xmlName = /^Libvirt XML was written to (\S+)$/m.exec(r.stdout)?.[1];
    expect(xmlName).toMatch(new RegExp(`^${NAME}[A-Z][a-z]{2}_\\d{2}_\\d{4}-\\d{2}:\\d{2}:\\d{2}$`));
    expect(readFileSync(join(work, xmlName!), 'utf8')).toContain(`<source file='${image}'/>`);
    const customized = JSON.parse(readFileSync(join(work, 'build', 'image.json'), 'utf8'));
    expect(customized.customize.steps.map((s: { step: string; name: string }) => `${s.step}:${s.name}`)).toEqual(['commands:stamp']);
    expect(customized.customize.image.path).toBe(image);
    expect(qemuLeft()).toBe(false);

    // No VM from here on.
    const icicle = await oz('oz-generate-icicle', [`${NAME}.tdl`, xmlName!]);
    expect(icicle.code, icicle.stderr).toBe(0);
    expect(icicle.stdout).toMatch(/^<icicle>\n[\s\S]*<package name="openssh-server/);
    const again = await oz('oz-customize', [`${NAME}.tdl`, xmlName!]);
    expect(again).toMatchObject({ code: 65, stderr: expect.stringMatching(/already customized and sealed/) });
    const overwrite = await oz('oz-install', ['-u', `${NAME}.tdl`]);
    expect(overwrite).toMatchObject({ code: 64, stderr: expect.stringContaining(`Diskimage ${image} already exists`) });
    expect(readdirSync(join(work, 'images'))).toEqual([`${NAME}.qcow2`]);
  });
});
