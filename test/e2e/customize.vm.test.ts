/**
 * guest-customize on a real Debian 12 guest under QEMU: the whole customization + seal, checked
 * by reading the result image offline and by booting it again; then the failure modes (failing
 * command, unreachable repository, SSH timeout), each ending clearly with no QEMU left running.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QemuVm, findFreePort } from '@ozkit/qemu';
import { HostKeyPin, SshSession, loadPrivateKey, waitForSsh } from '@ozkit/ssh';
import type { OzkitError } from '@ozkit/errors';
import { debianTestDisk } from '../../tools/guest-customize/src/debian-test-disk.test-support.js';
import { buildTinyGuest, tinyGuestAppend } from '../../libs/qemu/src/tiny-guest.test-support.js';
import { testMirror } from '../support/test-installer.js';
import { offlineRoot as readOffline } from '../support/offline-root.js';

const offlineRoot = (qcow2: string) => readOffline(qcow2, work);

const repoRoot = join(import.meta.dirname, '..', '..');
const bin = (tool: string) => join(repoRoot, 'tools', tool, 'bin', `${tool}.js`);
const work = mkdtempSync(join(tmpdir(), 'ozkit-customize-vm-'));

/** The disk under test: the pipeline's installed image, or (OZKIT_CUSTOMIZE_TEST_DISK=debootstrap, or
 * before test/support/installed-image.ts exists) a debootstrapped root filesystem booted with its kernel. */
interface TestImage {
  disk: string;
  virtualSize: number;
  privateKey: string;
  publicKey: string;
  kernel?: { kernel: string; initrd: string; append: string };
}
let image: TestImage;

async function testImage(): Promise<TestImage> {
  const support = join(repoRoot, 'test', 'support', 'installed-image.ts');
  if (process.env.OZKIT_CUSTOMIZE_TEST_DISK !== 'debootstrap' && existsSync(support)) {
    const { installedDebianImage } = (await import(support)) as {
      installedDebianImage(): Promise<{ disk: string; virtualSize: number; privateKey: string; publicKey: string }>;
    };
    const installed = await installedDebianImage();
    return { disk: installed.disk, virtualSize: installed.virtualSize, privateKey: installed.privateKey, publicKey: installed.publicKey };
  }
  const d = debianTestDisk();
  return {
    disk: d.disk,
    virtualSize: 4 * 1024 ** 3,
    privateKey: d.privateKey,
    publicKey: d.publicKey,
    kernel: { kernel: d.kernel, initrd: d.initrd, append: d.append },
  };
}

interface Run {
  code: number | null;
  stderr: string;
  doc: Record<string, any>;
}

function runTool(tool: string, args: string[], stdin?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin(tool), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr, doc: stdout.trim() ? JSON.parse(stdout) : {} }));
    child.stdin.end(stdin ?? '');
  });
}

/** tdl-validate on a TDL, then the disk section guest-install would add for the test disk. */
async function documentFor(name: string, tdl: string): Promise<string> {
  const dir = join(work, name);
  const tdlPath = join(work, `${name}.tdl`);
  writeFileSync(tdlPath, tdl);
  const validated = await runTool('tdl-validate', [tdlPath, '--workdir', dir]);
  expect(validated.code, validated.stderr).toBe(0);
  const doc = validated.doc;
  // What guest-install records on a JEOS cache hit: an overlay on the image and the key pair, in
  // the workdir (guest-customize only takes disks and keys the pipeline wrote).
  mkdirSync(dir, { recursive: true });
  const disk = join(dir, 'installed.qcow2');
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', image.disk, '-F', 'qcow2', disk]);
  const privateKey = join(dir, 'jeos-build-key');
  copyFileSync(image.privateKey, privateKey);
  chmodSync(privateKey, 0o600);
  copyFileSync(image.publicKey, `${privateKey}.pub`);
  doc.disk = {
    path: disk,
    format: 'qcow2',
    virtualSize: image.virtualSize,
    bus: 'virtio',
    accel: 'tcg',
    installSeconds: 0,
    consoleLog: '',
    markerSeen: true,
    buildKey: { privateKey, publicKey: `${privateKey}.pub` },
    clone: 'overlay',
  };
  const path = join(work, `${name}.json`);
  writeFileSync(path, JSON.stringify(doc));
  return path;
}

const kernelArgs = () => (image.kernel ? ['--kernel', image.kernel.kernel, '--initrd', image.kernel.initrd, '--append', image.kernel.append] : []);

function qemuRunningFor(path: string): boolean {
  const out = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
  return out.split('\n').some((l) => l.includes('qemu-system') && l.includes(path));
}

// The guest really fetches from the archive: the host's (or the set) mirror, never a built-in host.
const archive = testMirror().url;
const tdl = (body: string, name = 'customize-vm') => `<template>
  <name>${name}</name>
  <description>guest-customize VM test</description>
  <os><name>Debian</name><version>12</version><arch>x86_64</arch>
    <install type='url'><url>http://mirror.example/debian/dists/bookworm/main/installer-amd64/</url></install>
    <icicle><extra_command>dpkg-query -W -f '\${Package}=\${Version}\\n'</extra_command></icicle>
  </os>
${body}
</template>
`;

beforeAll(async () => {
  image = await testImage();
}, 45 * 60_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('guest-customize on Debian 12 (QEMU)', () => {
  const verifier = () => join(work, 'verifier');

  it('applies repositories, a package, raw and base64 files and positioned commands; seals; the result boots without the build key', async () => {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'verifier', '-f', verifier()]);
    const verifierPub = readFileSync(`${verifier()}.pub`, 'utf8').trim();
    const docPath = await documentFor(
      'main',
      tdl(`  <repositories>
    <repository name='bookworm-updates'><url>${archive} bookworm-updates main</url><signed>yes</signed></repository>
    <repository name='temporary'><url>${archive} bookworm-backports main</url><persisted>no</persisted></repository>
  </repositories>
  <packages><package name='tree'/></packages>
  <files>
    <file name='/etc/ozkit/raw.txt'>raw content here</file>
    <file name='/opt/ozkit/deep/b64.txt' type='base64'>aGVsbG8gYmFzZTY0Cg==</file>
  </files>
  <commands>
    <command name='second' position='2'>echo second >> /root/order.log; tree --version >> /root/order.log</command>
    <command name='first' position='1'>echo first >> /root/order.log; echo '${verifierPub}' >> /root/.ssh/authorized_keys</command>
  </commands>`),
    );
    const started = Date.now();
    const result = await runTool('guest-customize', ['--in', docPath, '--compress', ...kernelArgs()]);
    const seconds = (Date.now() - started) / 1000;
    expect(result.code, result.stderr).toBe(0);
    console.log(`guest-customize: ${seconds.toFixed(0)} s`);
    const c = result.doc.customize;
    expect(c.guest).toMatchObject({ id: 'debian', versionId: '12', packageManager: 'apt' });
    expect(c.steps.map((s: { step: string; name: string }) => `${s.step}:${s.name}`)).toEqual([
      'repositories:bookworm-updates',
      'repositories:temporary',
      'repositories:refresh',
      'packages:tree',
      'files:/etc/ozkit/raw.txt',
      'files:/opt/ozkit/deep/b64.txt',
      'commands:first',
      'commands:second',
      'remove-repositories:temporary',
    ]);
    const tree = c.inventory.packages.find((p: { name: string }) => p.name === 'tree');
    expect(tree).toMatchObject({ version: expect.stringMatching(/^2\./), arch: 'amd64' });
    expect(c.inventory.format).toBe('deb');
    expect(c.inventory.extra).toHaveLength(c.inventory.packages.length);
    expect(c.inventory.extra[c.inventory.packages.indexOf(tree)]).toMatch(/^tree=2\./);
    expect(c.seal.operations.filter((o: { done: boolean }) => o.done).map((o: { op: string }) => o.op)).toEqual(
      expect.arrayContaining(['build-key', 'ssh-host-keys', 'machine-id', 'logs', 'tmp-files', 'fstrim']),
    );
    expect(c.image).toMatchObject({ format: 'qcow2', compressed: true });
    expect(c.image.bytesAfter).toBeLessThan(c.image.bytesBefore);
    expect(existsSync(c.image.path)).toBe(true);
    expect(readdirSync(join(work, 'main')).filter((f) => f.includes('.partial') || f.startsWith('.customize-run'))).toEqual([]);
    expect(result.stderr).not.toMatch(/BEGIN OPENSSH PRIVATE KEY/);
    expect(JSON.stringify(result.doc)).not.toMatch(/BEGIN OPENSSH PRIVATE KEY/);

    // Offline: sealed state before any boot changes it.
    const root = offlineRoot(c.image.path);
    expect(root.cat('/etc/machine-id')).toBe('');
    expect(root.ls('/etc/ssh')).not.toMatch(/ssh_host_.*_key/);
    expect(root.cat('/etc/ozkit/raw.txt')).toBe('raw content here');
    expect(root.cat('/opt/ozkit/deep/b64.txt')).toBe('hello base64\n');
    const authorized = root.cat('/root/.ssh/authorized_keys');
    expect(authorized).toContain(verifierPub);
    expect(authorized).not.toContain(readFileSync(image.publicKey, 'utf8').trim().split(' ')[1]);
    expect(root.ls('/etc/apt/sources.list.d')).toMatch(/bookworm-updates\.list/);
    expect(root.ls('/etc/apt/sources.list.d')).not.toMatch(/temporary\.list/);
    // The removed repository's lists went with it; the others' (and their Release files) stayed.
    const lists = root.ls('/var/lib/apt/lists');
    expect(lists).not.toMatch(/bookworm-backports/);
    expect(lists).toMatch(/_dists_bookworm_InRelease/);
    expect(lists).toMatch(/_dists_bookworm_main_binary-amd64_Packages/);
    expect(lists).toMatch(/_dists_bookworm-updates_main_binary-amd64_Packages/);
    rmSync(join(work, 'offline.raw'), { force: true });
    rmSync(join(work, 'offline.part'), { force: true });

    // A fresh boot of the result.
    const port = await findFreePort();
    const vm = await QemuVm.start({
      arch: 'x86_64',
      accel: 'tcg',
      cpus: 1,
      memoryMiB: 1024,
      disks: [{ path: c.image.path, format: 'qcow2', bus: 'virtio', snapshot: true }],
      ...(image.kernel ? { kernel: image.kernel } : {}),
      hostForwards: [{ hostPort: port, guestPort: 22 }],
      runDir: join(work, 'fresh-run'),
      consoleLog: join(work, 'fresh-console.log'),
      captureNetStats: false,
    });
    try {
      const pin = new HostKeyPin();
      const session = await waitForSsh({ host: '127.0.0.1', port, privateKey: await loadPrivateKey(verifier()), hostKeys: pin, timeoutMs: 600_000 });
      try {
        expect(session.hostKey.sha256).not.toBe(c.hostKey.sha256);
        const check = await session.exec(
          "dpkg-query -W -f '${Status}\\n' tree; cat /root/order.log; cat /etc/ozkit/raw.txt; echo; cat /opt/ozkit/deep/b64.txt; test -s /etc/machine-id && echo machine-id-regenerated",
          { timeoutMs: 60_000, captureStdout: true },
        );
        expect(check.stdout).toMatch(/^install ok installed\nfirst\nsecond\ntree v2\.[^\n]*\nraw content here\nhello base64\nmachine-id-regenerated\n$/);
      } finally {
        await session.close();
      }
      const refused = (await SshSession.connect({ host: '127.0.0.1', port, privateKey: await loadPrivateKey(image.privateKey), hostKeys: pin }).catch(
        (e: unknown) => e,
      )) as OzkitError;
      expect(refused.details?.reason).toBe('auth');
    } finally {
      await vm.kill();
    }
    expect(qemuRunningFor(work)).toBe(false);
  });

  it('fails a failing command with exit 65 naming the step, its status and last lines', async () => {
    const docPath = await documentFor(
      'failing',
      tdl(`  <commands>
    <command name='fine'>echo all good</command>
    <command name='breaks'>echo about to fail; echo "something broke" >&amp;2; exit 7</command>
  </commands>`),
    );
    const result = await runTool('guest-customize', ['--in', docPath, ...kernelArgs()]);
    expect(result.code).toBe(65);
    expect(result.stderr).toMatch(
      /guest-customize: command 2 \(breaks\) failed with exit status 7; last output:\nguest-customize: {3}about to fail\nguest-customize: {3}something broke/,
    );
    expect(result.doc.failure).toMatchObject({ stage: 'guest-customize', code: 'COMMAND_FAILED' });
    expect(result.doc.failure.consoleTail.length).toBeGreaterThan(0);
    // No partial or customized image left (installed.qcow2 is the installed disk, documentFor's).
    expect(readdirSync(join(work, 'failing')).filter((f) => f.endsWith('.partial') || (f.endsWith('.qcow2') && f !== 'installed.qcow2'))).toEqual([]);
    expect(qemuRunningFor(work)).toBe(false);
  });

  it('fails an unreachable repository with exit 65 at the metadata refresh, naming the URL', async () => {
    const docPath = await documentFor(
      'unreachable',
      tdl(`  <repositories>
    <repository name='nowhere'><url>http://ozkit-unreachable.invalid/debian bookworm main</url></repository>
  </repositories>
  <packages><package name='tree'/></packages>`),
    );
    const result = await runTool('guest-customize', ['--in', docPath, ...kernelArgs()]);
    expect(result.code).toBe(65);
    expect(result.stderr).toMatch(/repositories \(metadata refresh\) failed with exit status 100; last output:[\s\S]*ozkit-unreachable\.invalid/);
    expect(qemuRunningFor(work)).toBe(false);
  });

  it('ends an SSH wait past [timeouts] boot with exit 75, the console tail and a PNG screenshot', async () => {
    const docPath = await documentFor('ssh-timeout', tdl(''));
    // A guest that boots and talks on its console but never starts sshd: the wait must time out
    // whatever the machine's speed (the real image reaches sshd in ~25 s on a quiet machine).
    const tiny = buildTinyGuest(mkdtempSync(join(work, 'tiny-')));
    const result = await runTool('guest-customize', [
      '--in',
      docPath,
      '--boot-timeout',
      '25',
      '--kernel',
      tiny.kernel,
      '--initrd',
      tiny.initrd,
      '--append',
      tinyGuestAppend('sleep'),
    ]);
    expect(result.code).toBe(75);
    expect(result.stderr).toMatch(/the guest's sshd did not answer within 25 s of boot/);
    expect(result.stderr).toMatch(/console tail \(.*customize-console\.log\):\nguest-customize: {3}\| /);
    const shot = /screenshot: (\S+\.png)/.exec(result.stderr)?.[1];
    expect(shot && readFileSync(shot).subarray(1, 4).toString()).toBe('PNG');
    expect(result.doc.failure.screenshots).toEqual([shot]);
    expect(qemuRunningFor(work)).toBe(false);
  });

  it('on SIGINT ends QEMU, removes the partial image and exits 130', async () => {
    const docPath = await documentFor('sigint', tdl(''));
    const child = spawn(process.execPath, [bin('guest-customize'), '--in', docPath, ...kernelArgs()], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const booted = new Promise<void>((resolve) =>
      child.stderr.on('data', (d) => {
        stderr += d;
        if (stderr.includes('guest ssh on 127.0.0.1')) resolve();
      }),
    );
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await booted;
    await new Promise((r) => setTimeout(r, 3000));
    expect(qemuRunningFor(join(work, 'sigint'))).toBe(true);
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).toMatch(/interrupted \(SIGINT\)/);
    expect(qemuRunningFor(work)).toBe(false);
    expect(readdirSync(join(work, 'sigint')).filter((f) => f.includes('.partial') || f.startsWith('.customize-run'))).toEqual([]);
  });
});
