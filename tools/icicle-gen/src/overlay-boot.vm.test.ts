import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QemuVm, createDisk } from '@ozkit/qemu';
import { appendPreseedToInitrd, extractInstallerKernel, testInstallerIso, testPreseed } from '../../../test/support/test-installer.js';

const bin = new URL('../bin/icicle-gen.js', import.meta.url).pathname;
const MARKER = 'OZKIT-INSTALL-COMPLETE icicle-gen';

function run(args: string[], stdin: string, env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [bin, ...args], { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    child.stdin!.end(stdin);
  });
}

function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (d) => hash.update(d))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

function qemuProcessesUsing(path: string): string[] {
  try {
    return execFileSync('pgrep', ['-af', 'qemu-system'], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.includes(path));
  } catch {
    return [];
  }
}

let dir: string;
let disk: string;
let key: string;

// An unsealed Debian 12 disk: the project's test installer, with the test key in root's authorized_keys.
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'icicle-vm-'));
  key = join(dir, 'id_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'icicle-vm-test', '-f', key]);
  const publicKey = readFileSync(`${key}.pub`, 'utf8').trim();
  const iso = await testInstallerIso();
  const { kernel, initrd } = await extractInstallerKernel(iso, join(dir, 'kernel'));
  const preseed = testPreseed({
    marker: MARKER,
    lateCommands: [
      'mkdir -p /target/root/.ssh',
      `echo '${publicKey}' > /target/root/.ssh/authorized_keys`,
      'chmod 700 /target/root/.ssh',
      'chmod 600 /target/root/.ssh/authorized_keys',
    ],
  });
  const seeded = join(dir, 'initrd-preseed.gz');
  await appendPreseedToInitrd(initrd, preseed, seeded);
  disk = join(dir, 'disk.qcow2');
  await createDisk(disk, 'qcow2', 4 * 2 ** 30);
  const vm = await QemuVm.start({
    arch: 'x86_64',
    accel: 'tcg',
    cpus: 1,
    memoryMiB: 1024,
    disks: [{ path: disk, format: 'qcow2', bus: 'virtio' }],
    cdrom: iso,
    kernel: { kernel, initrd: seeded, append: 'console=ttyS0,115200 priority=critical' },
    noReboot: true,
    runDir: join(dir, 'install-run'),
    consoleLog: join(dir, 'install-console.log'),
    captureNetStats: false,
  });
  const timer = setTimeout(() => void vm.kill(), 20 * 60_000);
  try {
    await vm.waitForExit();
  } finally {
    clearTimeout(timer);
    await vm.kill();
  }
  const console = readFileSync(join(dir, 'install-console.log'), 'utf8');
  if (!console.includes(MARKER)) throw new Error(`the test install did not finish:\n${console.split('\n').slice(-30).join('\n')}`);
}, 30 * 60_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('icicle-gen --live --image (Oz safe_generation)', () => {
  it('boots the image on a throw-away overlay, lists its packages and leaves the image untouched', async () => {
    const before = await sha256File(disk);
    // A whole template, as tdl-validate writes it: runStage checks the keys icicle-gen reads.
    const template = {
      source: { path: join(dir, 'vm-test.tdl'), sha256: '0'.repeat(64) },
      name: 'vm-test',
      description: 'unsealed test image',
      os: { name: 'Debian', version: '12', arch: 'x86_64', install: { type: 'url', url: 'http://127.0.0.1/debian/' } },
      disk: { sizeBytes: 4 * 1024 ** 3 },
      packages: [],
      repositories: [],
      files: [],
      commands: [],
      precommands: [],
    };
    const doc = { ozkit: 1, workdir: dir, stages: [], template };
    const r = await run(['--live', '--image', disk, '--key', key, '--boot-timeout', '900', '--format', 'cyclonedx'], JSON.stringify(doc));
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.icicle).toMatchObject({ source: 'live', format: 'deb', live: { image: disk } });
    expect(out.icicle.packages).toBeGreaterThan(100);
    const xml = readFileSync(join(dir, 'icicle.xml'), 'utf8');
    expect(xml.startsWith('<icicle>\n  <description>unsealed test image</description>\n  <packages>\n')).toBe(true);
    for (const name of ['openssh-server', 'systemd', 'dpkg']) expect(xml).toContain(`<package name="${name}"/>`);
    const bom = JSON.parse(readFileSync(join(dir, 'sbom.cdx.json'), 'utf8'));
    expect(bom.components[0]).toMatchObject({ type: 'operating-system', name: 'debian', version: '12' });
    expect(bom.components.find((c: { name: string }) => c.name === 'openssh-server').purl).toMatch(
      /^pkg:deb\/debian\/openssh-server@1:9\.2p1-2(%2Bdeb12u\d+)?\?arch=amd64&distro=debian-12$/,
    );
    expect(await sha256File(disk)).toBe(before);
    expect(qemuProcessesUsing(disk)).toEqual([]);
  });

  it("with [icicle] safe_generation, boots the document's image when the document has no inventory", async () => {
    // The disk and key are the build's own (in its workdir): icicle-gen boots no image a document merely points at.
    const doc = {
      ozkit: 1,
      workdir: dir,
      stages: [],
      disk: { path: disk, format: 'qcow2', bus: 'virtio', buildKey: { privateKey: key, publicKey: `${key}.pub` } },
    };
    const r = await run([], JSON.stringify(doc), { OZKIT_ICICLE_SAFE_GENERATION: 'yes', OZKIT_TIMEOUT_BOOT: '900' });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).icicle).toMatchObject({ source: 'live', live: { image: disk } });
    expect(readFileSync(join(dir, 'icicle.xml'), 'utf8')).toContain('<package name="openssh-server"/>');
    expect(qemuProcessesUsing(disk)).toEqual([]);
  });

  it('explains a refused key (a sealed image) with the console tail, and leaves no QEMU', async () => {
    const stranger = join(dir, 'stranger');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', stranger]);
    const r = await run(['--live', '--image', disk, '--key', stranger, '--boot-timeout', '900', '--stdout'], JSON.stringify({ ozkit: 1, stages: [] }));
    expect(r.code).toBe(65);
    expect(r.stderr).toContain('refused the build key');
    expect(r.stderr).toContain('hint: a sealed image no longer accepts the build key');
    expect(r.stderr).toContain('console tail:');
    expect(qemuProcessesUsing(disk)).toEqual([]);
  });
});
