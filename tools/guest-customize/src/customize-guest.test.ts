import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BuildDocument, Template } from '@ozkit/build-document';
import type { OzkitError } from '@ozkit/errors';
import { silentLogger } from '@ozkit/log';
import { customizeGuest, type CustomizeSettings } from './customize-guest.js';
import { needsPrograms } from '../../../test/support/missing-program.js';

needsPrograms('ssh-keygen');

// Everything here fails before a VM would boot: the checks that save a 5-minute run.
const dir = mkdtempSync(join(tmpdir(), 'ozkit-customize-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'key')]);
writeFileSync(join(dir, 'disk.qcow2'), 'not really a disk');

const settings: CustomizeSettings = {
  timeoutBoot: 60,
  timeoutShutdown: 30,
  cpus: 1,
  memoryMiB: 512,
  accel: 'tcg',
  cacheDir: join(dir, 'cache'),
  offline: true,
  connect: undefined,
  virtType: undefined,
  pool: 'default',
  bridgeName: undefined,
  targetCloud: 'openstack',
};

function doc(template: Partial<Template> = {}, extra: Partial<BuildDocument> = {}): BuildDocument {
  return {
    ozkit: 1,
    stages: [],
    workdir: dir,
    template: {
      source: { path: join(dir, 'x.tdl'), sha256: '0' },
      name: 'unit',
      os: { name: 'Debian', version: '12', arch: 'x86_64', install: { type: 'url', url: 'http://example.org/' } },
      disk: { sizeBytes: 1 },
      packages: [],
      repositories: [],
      files: [],
      commands: [],
      precommands: [],
      ...template,
    },
    disk: {
      path: join(dir, 'disk.qcow2'),
      format: 'qcow2',
      virtualSize: 1,
      bus: 'virtio',
      accel: 'tcg',
      installSeconds: 0,
      consoleLog: '',
      markerSeen: true,
      buildKey: { privateKey: join(dir, 'key'), publicKey: join(dir, 'key.pub') },
    },
    ...extra,
  };
}

const fail = (d: BuildDocument, more = {}) =>
  customizeGuest(d, { settings, logger: silentLogger(), ...more }).then(
    () => undefined,
    (e: OzkitError) => e,
  );

describe('customizeGuest input checks (no VM)', () => {
  it('needs the disk from guest-install', async () => {
    const d = doc();
    delete d.disk;
    expect((await fail(d))?.message).toBe('build document has no "disk"');
  });

  it('refuses at once an answer file that leaves the system without sshd', async () => {
    const e = await fail(doc({}, { answer: { path: '/w/preseed.cfg', sshd: false } as never }));
    expect(e?.code).toBe('BAD_ANSWER_FILE');
    expect(e?.message).toMatch(/without sshd/);
  });

  it('names a missing build key file', async () => {
    const e = await fail(doc(), { privateKey: join(dir, 'nokey') });
    expect(e?.code).toBe('INPUT_MISSING');
    expect(e?.message).toMatch(/nokey: cannot read SSH private key/);
  });

  it('refuses undecodable base64, relative file names and unknown package repositories before booting', async () => {
    expect((await fail(doc({ files: [{ name: '/etc/x', type: 'base64', content: '@@@' }] })))?.message).toBe('file /etc/x: content is not valid base64');
    expect((await fail(doc({ files: [{ name: 'etc/x', type: 'raw', content: 'x' }] })))?.message).toMatch(/must be an absolute path/);
    expect((await fail(doc({ packages: [{ name: 'x', repository: 'nope' }] })))?.code).toBe('BAD_TDL');
    expect((await fail(doc({ commands: [{ name: 'c', type: 'url', content: 'http://127.0.0.1:9/not-cached' }] })))?.code).toBe('OFFLINE_MISS');
  });

  it('rejects unknown seal operations as a usage error', async () => {
    const e = await fail(doc(), { sealOps: ['machine-id,nonsense'] });
    expect(e?.exitCode).toBe(64);
  });

  it('reports a disk qemu-img cannot read, leaving no partial image behind', async () => {
    const e = await fail(doc(), { seal: false });
    expect(e?.code).toBe('IO');
    expect(e?.message).toMatch(/copying .*disk\.qcow2: qemu-img convert/);
    expect(readdirSync(dir).filter((f) => f.includes('.partial'))).toEqual([]);
  });
});
