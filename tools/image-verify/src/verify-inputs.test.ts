import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { newBuildDocument } from '@ozkit/build-document';
import { GUEST_FACTS_COMMAND, parseGuestFacts, parseStatusJson } from './guest-facts.js';
import { buildKeyToTry, imageToVerify, metadataFor, targetCloudFor } from './verify-image.js';

const work = mkdtempSync(join(tmpdir(), 'ozkit-verify-inputs-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const bin = join(import.meta.dirname, '..', 'bin', 'image-verify.js');

describe('image-verify inputs', () => {
  it('refuses a missing image (66) and a file that is not a disk image (65), before any VM starts', async () => {
    await expect(imageToVerify(newBuildDocument(), join(work, 'absent.qcow2'))).rejects.toMatchObject({ code: 'INPUT_MISSING', exitCode: 66 });
    const text = join(work, 'notes.txt');
    writeFileSync(text, 'not an image\n'.repeat(100));
    await expect(imageToVerify(newBuildDocument(), text)).rejects.toMatchObject({
      code: 'BAD_IMAGE',
      exitCode: 65,
      message: expect.stringContaining('not a disk image'),
    });
    const qcow2 = join(work, 'disk.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', qcow2, '64M']);
    await expect(imageToVerify(newBuildDocument(), qcow2)).resolves.toMatchObject({ path: qcow2, format: 'qcow2', virtualSize: 64 * 1024 ** 2 });
    await expect(imageToVerify(newBuildDocument())).rejects.toMatchObject({ code: 'USAGE' });
  });

  it('an image or build key the document names must be inside the build; --image may be anywhere', async () => {
    const workdir = join(work, 'build');
    const elsewhere = join(work, 'elsewhere');
    mkdirSync(workdir, { recursive: true });
    mkdirSync(elsewhere, { recursive: true });
    const outside = join(elsewhere, 'disk.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', outside, '64M']);
    const inside = join(workdir, 'disk.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', inside, '64M']);
    symlinkSync(outside, join(workdir, 'link.qcow2'));
    const naming = (path: string) => ({ ...newBuildDocument(), workdir, customize: { image: { path } } }) as unknown as Parameters<typeof imageToVerify>[0];
    await expect(imageToVerify(naming(inside))).resolves.toMatchObject({ path: inside });
    for (const path of [outside, join(workdir, 'link.qcow2'), join(workdir, '..', 'elsewhere', 'disk.qcow2')])
      await expect(imageToVerify(naming(path))).rejects.toMatchObject({
        code: 'BAD_DOCUMENT',
        exitCode: 65,
        message: expect.stringMatching(/^customize\.image\.path: .* is outside the build/),
      });
    await expect(imageToVerify(naming(outside), outside)).resolves.toMatchObject({ path: outside });

    const keyDoc = (privateKey: string) =>
      ({ ...newBuildDocument(), workdir, disk: { buildKey: { privateKey } } }) as unknown as Parameters<typeof buildKeyToTry>[0];
    writeFileSync(join(workdir, 'build-key'), 'key');
    writeFileSync(join(elsewhere, 'id_ed25519'), 'key');
    expect(buildKeyToTry(keyDoc(join(workdir, 'build-key')), { workdir })).toBe(join(workdir, 'build-key'));
    expect(() => buildKeyToTry(keyDoc(join(elsewhere, 'id_ed25519')), { workdir })).toThrow(/disk\.buildKey\.privateKey: .* is outside the build/);
    expect(() => buildKeyToTry(keyDoc('/dev/zero'), { workdir, folders: ['/dev'] })).toThrow(/not a regular file/);
    expect(buildKeyToTry(newBuildDocument(), { workdir })).toBeUndefined();
  });

  it('verifies for the cloud the image was sealed for unless --target-cloud says otherwise', () => {
    const sealedFor = (target: 'nocloud' | 'openstack') =>
      ({ ...newBuildDocument(), customize: { cloud: { target, cloudInit: true } } }) as unknown as Parameters<typeof targetCloudFor>[0];
    expect(targetCloudFor(sealedFor('nocloud'), undefined, 'openstack')).toBe('nocloud');
    expect(metadataFor(targetCloudFor(sealedFor('nocloud'), undefined, 'openstack'))).toBe('nocloud');
    expect(targetCloudFor(sealedFor('nocloud'), 'openstack', 'openstack')).toBe('openstack');
    expect(targetCloudFor(newBuildDocument(), undefined, 'nocloud')).toBe('nocloud');
  });

  it('the CLI exits 66 / 65 with a one-line error and no stack trace', () => {
    const missing = spawnSync(process.execPath, [bin, '--image', join(work, 'absent.qcow2'), '--user', 'debian'], { encoding: 'utf8', input: '' });
    expect(missing.status).toBe(66);
    expect(missing.stderr).toMatch(/absent\.qcow2: image not found/);
    expect(missing.stderr).not.toMatch(/\n\s+at /);
    const text = join(work, 'notes2.txt');
    writeFileSync(text, 'x'.repeat(4096));
    const bad = spawnSync(process.execPath, [bin, '--image', text, '--user', 'debian'], { encoding: 'utf8', input: '' });
    expect(bad.status).toBe(65);
    expect(bad.stderr).toMatch(/not a disk image/);
    const usage = spawnSync(process.execPath, [bin, '--image', text, '--disk-size', '10M'], { encoding: 'utf8', input: '' });
    expect(usage.status).toBe(64);
  });

  it('gives openstack a config drive, nocloud a seed, and refuses clouds it cannot imitate', () => {
    expect(metadataFor('openstack')).toBe('config-drive');
    expect(metadataFor('nocloud')).toBe('nocloud');
    expect(() => metadataFor('ec2')).toThrow(/cannot give a ec2 guest its metadata/);
  });

  it('parses what the guest reports (the real command run by sh here)', () => {
    const out = execFileSync('sh', ['-c', GUEST_FACTS_COMMAND], { encoding: 'utf8' });
    const facts = parseGuestFacts(out);
    expect(facts.epoch).toBeGreaterThan(1.7e9);
    expect(facts.uptime).toBeGreaterThan(0);
    expect(facts.rootBytes).toBeGreaterThan(0);
    expect(facts.hostname).toBe(execFileSync('hostname', { encoding: 'utf8' }).trim());
    expect(facts.statusJson).toBe('{}');
  });

  it("reads cloud-init status.json: datasource, every stage's errors, when modules-final finished", () => {
    const status = {
      v1: {
        datasource: 'DataSourceConfigDrive [net,ver=2][source=/dev/sr0]',
        init: { errors: [], finished: 1700000010.5, start: 1700000005 },
        'modules-final': { errors: ["('scripts_user', RuntimeError())"], finished: 1700000030.25, start: 1700000020 },
        stage: null,
      },
    };
    expect(parseStatusJson(JSON.stringify(status))).toEqual({
      datasource: 'DataSourceConfigDrive [net,ver=2][source=/dev/sr0]',
      errors: ["modules-final: ('scripts_user', RuntimeError())"],
      finished: 1700000030.25,
    });
    expect(parseStatusJson('{}')).toEqual({ errors: [] });
    expect(parseStatusJson('nope').errors).toEqual(['status.json is not JSON']);
  });
});
