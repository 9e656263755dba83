/**
 * image-verify on real guests: the shared cloud-init test image (test/support/cloud-image.ts),
 * sealed by guest-customize for OpenStack and for NoCloud, booted with a config drive and a
 * NoCloud seed; and the failures: no cloud-init under --require-cloud-init, an unsealed image
 * (the build key still works), a --check that fails, a key the image does not accept. Every
 * run must leave no QEMU and no overlay behind.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BuildDocument } from '@ozkit/build-document';
import { cloudDebianImage, documentForDisk, sealTemplate, type CloudImage } from '../../../test/support/cloud-image.js';
import { installedDiskIn, runStageCli } from '../../../test/support/installed-image.js';

const work = mkdtempSync(join(tmpdir(), 'ozkit-image-verify-vm-'));
const env = { ...process.env, OZKIT_ACCEL: process.env.OZKIT_ACCEL ?? 'auto', OZKIT_CPUS: process.env.OZKIT_CPUS ?? '2', OZKIT_TIMEOUT_BOOT: '900' };
let cloud: CloudImage;
const seconds: Record<string, number> = {};

function qemuLeft(): string[] {
  return execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes('qemu-system') && (l.includes(work) || l.includes('ozkit-image-verify-')));
}

const overlaysLeft = () =>
  readdirSync(tmpdir()).filter((n) => n.startsWith('ozkit-image-verify-') && !join(tmpdir(), n).startsWith(work) && existsSync(join(tmpdir(), n, 'overlay.qcow2')));

async function timed<T>(name: string, f: () => Promise<T>): Promise<T> {
  const t = Date.now();
  try {
    return await f();
  } finally {
    seconds[name] = Math.round((Date.now() - t) / 1000);
  }
}

/** guest-customize on the cloud image with a plain template: only the seal step runs (and the cloud probe). */
async function sealed(name: string, args: string[]): Promise<BuildDocument> {
  const doc = await documentForDisk({
    tdl: sealTemplate(name),
    workdir: join(work, name),
    disk: cloud.disk,
    virtualSize: cloud.virtualSize,
    privateKey: cloud.privateKey,
    publicKey: cloud.publicKey,
    env,
  });
  const r = await timed(`seal ${name}`, () => runStageCli('guest-customize', ['--output', join(work, name, `${name}.qcow2`), ...args], JSON.stringify(doc), env));
  expect(r.code, r.stderr.split('\n').slice(-30).join('\n')).toBe(0);
  return JSON.parse(r.stdout) as BuildDocument;
}

async function verify(name: string, doc: BuildDocument | undefined, args: string[]) {
  const r = await timed(`verify ${name}`, () => runStageCli('image-verify', args, doc ? JSON.stringify(doc) : '', env));
  return { ...r, doc: r.stdout.trim() ? (JSON.parse(r.stdout) as BuildDocument) : undefined };
}

beforeAll(async () => {
  cloud = await timed('cloud image', () => cloudDebianImage());
  process.stderr.write(
    `cloud image ${cloud.disk}: ${cloud.built ? `built in ${cloud.seconds?.total} s (guest-customize ${cloud.seconds?.customize} s)` : 'cached'}; ${cloud.debs.length} packages\n`,
  );
}, 60 * 60_000);

afterEach(() => {
  expect(qemuLeft()).toEqual([]);
  expect(overlaysLeft()).toEqual([]);
});

afterAll(() => {
  process.stderr.write(`image-verify VM test seconds: ${JSON.stringify(seconds)}\n`);
  rmSync(work, { recursive: true, force: true });
});

describe('image-verify (QEMU)', () => {
  it('an image sealed for OpenStack passes every check with a config drive; the image is not written', async () => {
    const doc = await sealed('openstack', ['--target-cloud', 'openstack', '--require-cloud-init']);
    expect(doc.customize!.cloud).toMatchObject({
      target: 'openstack',
      cloudInit: true,
      defaultUser: 'debian',
      datasourceList: ['ConfigDrive', 'OpenStack', 'None'],
    });
    const ops = Object.fromEntries(doc.customize!.seal!.operations.map((o) => [o.op, o]));
    expect(ops['cloud-datasource']).toMatchObject({ done: true, detail: 'datasource_list: [ ConfigDrive, OpenStack, None ]' });
    expect(ops['cloud-init']).toMatchObject({ done: true });
    const image = doc.customize!.image.path;
    const before = statSync(image);
    const r = await verify('openstack', doc, ['--check', 'systemctl is-active ssh', '--check', 'test -s /var/lib/cloud/instance/datasource']);
    expect(r.code, r.stderr.split('\n').slice(-30).join('\n')).toBe(0);
    const v = r.doc!.verify!;
    expect(v.checks.filter((c) => !c.ok)).toEqual([]);
    expect(v.checks.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        'ssh-login',
        'cloud-init',
        'cloud-init-datasource',
        'hostname',
        'root-grown',
        'host-keys-new',
        'machine-id-new',
        'build-key-refused',
        'root-password-refused',
        'check: systemctl is-active ssh',
        'login-prompt',
      ]),
    );
    expect(v).toMatchObject({ ok: true, metadata: 'config-drive', user: 'debian', diskBytes: cloud.virtualSize + 1024 ** 3 });
    expect(v.timings.sshd).toBeGreaterThan(0);
    expect(v.timings.cloudInitDone).toBeGreaterThan(0);
    expect(JSON.parse(readFileSync(v.cloudInitStatus!, 'utf8')).v1.datasource).toMatch(/^DataSourceConfigDrive/);
    expect(r.stderr).toMatch(/boot timings: login prompt .* s, sshd .* s, cloud-init done .* s/);
    const after = statSync(image);
    expect([after.size, after.mtimeMs]).toEqual([before.size, before.mtimeMs]);
  });

  it('an image sealed for NoCloud boots from a NoCloud seed; a --check false fails it (65, check named), rows and evidence in the document', async () => {
    const doc = await sealed('nocloud', ['--target-cloud', 'nocloud']);
    expect(doc.customize!.cloud!.datasourceList).toEqual(['NoCloud', 'None']);
    const r = await verify('nocloud', doc, ['--check', 'false']);
    expect(r.code, r.stderr.split('\n').slice(-30).join('\n')).toBe(65);
    expect(r.stderr).toMatch(/^image-verify: check check: false failed/m);
    const v = r.doc!.verify!;
    expect(v.metadata).toBe('nocloud');
    expect(v.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['check: false']);
    expect(JSON.parse(readFileSync(v.cloudInitStatus!, 'utf8')).v1.datasource).toMatch(/^DataSourceNoCloud/);
    const failure = r.doc!.failure!;
    expect(failure).toMatchObject({ stage: 'image-verify', exitCode: 65 });
    expect(failure.screenshots!.every((p) => existsSync(p) && p.endsWith('.png'))).toBe(true);
    expect(failure.consoleTail!.length).toBeGreaterThan(0);
    expect(failure.logs![0]).toMatch(/verify-cloud-init\.log$/);
    expect(readFileSync(failure.logs![0], 'utf8')).toMatch(/cloud-init/);
  });

  it('an unsealed image (guest-customize --no-seal) fails the build-key check: 65, the check named', async () => {
    // The cached image's document, moved into a workdir of this test: its build directory is long
    // gone, and image-verify reads images and keys a document names only from inside the build.
    const workdir = join(work, 'unsealed');
    const { path, privateKey, publicKey } = await installedDiskIn(cloud, workdir);
    const doc = structuredClone(cloud.document);
    doc.workdir = workdir;
    doc.customize!.image.path = path;
    doc.disk = { ...doc.disk!, buildKey: { privateKey, publicKey } };
    const r = await verify('unsealed', doc, []);
    expect(r.code, r.stderr.split('\n').slice(-30).join('\n')).toBe(65);
    expect(r.stderr).toMatch(/^image-verify: checks? .*build-key-refused.* failed/m);
    expect(r.doc!.verify!.checks.find((c) => c.name === 'build-key-refused')).toMatchObject({ ok: false, evidence: 'root logged in' });
  });

  it('guest-customize --require-cloud-init refuses the installed image, which has no cloud-init (65)', async () => {
    const installed = cloud.installed;
    const doc = await documentForDisk({
      tdl: sealTemplate('no-cloud-init'),
      workdir: join(work, 'no-cloud-init'),
      disk: installed.disk,
      virtualSize: installed.virtualSize,
      privateKey: installed.privateKey,
      publicKey: installed.publicKey,
      env,
    });
    const output = join(work, 'no-cloud-init', 'out.qcow2');
    const r = await timed('require-cloud-init', () => runStageCli('guest-customize', ['--require-cloud-init', '--output', output], JSON.stringify(doc), env));
    expect(r.code, r.stderr.split('\n').slice(-20).join('\n')).toBe(65);
    expect(r.stderr).toMatch(/^guest-customize: --require-cloud-init: the image has no cloud-init/m);
    expect(existsSync(output)).toBe(false);
    expect(JSON.parse(r.stdout).failure).toMatchObject({ stage: 'guest-customize', code: 'BAD_IMAGE', exitCode: 65 });
  });
});
