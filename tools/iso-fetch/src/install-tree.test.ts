import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listInitrd } from '@ozkit/initrd';
import { isoFetch } from './iso-fetch-stage.js';
import { fakeInitrd, makeDocument, writeAnswer } from './fixtures/media-fixtures.test-support.js';
import { rocky9Treeinfo } from './fixtures/redhat-configs.test-support.js';
import { MediaServer, sha256 } from './fixtures/media-server.test-support.js';

const server = new MediaServer();
let dir: string;
const kernel = Buffer.from('kernel rocky tree');
const initrd = fakeInitrd('rocky tree');
const diKernel = Buffer.from('kernel d-i netboot');
const diInitrd = fakeInitrd('d-i netboot');

beforeAll(async () => {
  await server.start();
  dir = mkdtempSync(join(tmpdir(), 'ozkit-tree-'));
  // A Red Hat tree: .treeinfo names the pxeboot files and their checksums.
  server.files.set('/rocky/9/BaseOS/x86_64/os/.treeinfo', {
    body: Buffer.from(rocky9Treeinfo({ 'images/pxeboot/vmlinuz': sha256(kernel), 'images/pxeboot/initrd.img': sha256(initrd) })),
  });
  server.files.set('/rocky/9/BaseOS/x86_64/os/images/pxeboot/vmlinuz', { body: kernel });
  server.files.set('/rocky/9/BaseOS/x86_64/os/images/pxeboot/initrd.img', { body: initrd });
  // An old tree without .treeinfo.
  server.files.set('/old/images/pxeboot/vmlinuz', { body: kernel });
  server.files.set('/old/images/pxeboot/initrd.img', { body: initrd });
  // A d-i netboot tree as on Debian mirrors.
  const di = '/debian/dists/bookworm/main/installer-amd64/current/images/netboot/debian-installer/amd64';
  server.files.set(`${di}/linux`, { body: diKernel });
  server.files.set(`${di}/initrd.gz`, { body: diInitrd });
  server.files.set(`${di}/boot-screens/txt.cfg`, {
    body: Buffer.from(
      'label install\n\tmenu label ^Install\n\tkernel debian-installer/amd64/linux\n\tappend vga=788 initrd=debian-installer/amd64/initrd.gz --- quiet \n',
    ),
  });
  // A bare netboot directory without txt.cfg.
  server.files.set('/ubuntu-netboot/ubuntu-installer/amd64/linux', { body: diKernel });
  server.files.set('/ubuntu-netboot/ubuntu-installer/amd64/initrd.gz', { body: diInitrd });
});
afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

const settings = (name: string, offline = false) => ({
  cacheDir: join(dir, `cache-${name}`),
  offline,
  cacheOriginalMedia: true,
  cacheModifiedMedia: false,
  workdir: undefined,
  outputDir: undefined,
});

describe('url installs', () => {
  it('Red Hat: finds the kernel through .treeinfo, verifies it, injects ks.cfg and composes inst.repo', async () => {
    const url = server.url('/rocky/9/BaseOS/x86_64/os/');
    const workdir = join(dir, 'rocky');
    const answer = writeAnswer(workdir, 'redhat', 'kickstart', ['inst.text']);
    const doc = makeDocument({ workdir, os: { name: 'Rocky-9', version: '4' }, install: { type: 'url', url }, answer, kernelparam: 'net.ifnames=0' });
    const out = await isoFetch(doc, { settings: settings('rocky') });
    const media = out.media!;
    expect(media.original).toMatchObject({ url, kind: 'tree', bytes: kernel.length + initrd.length, fromCache: false });
    expect(media.original.verified).toMatchObject({ kind: 'sha256', source: `${url}.treeinfo` });
    expect(media.tree).toMatchObject({ layout: 'treeinfo' });
    const boot = media.boot;
    if (boot.method !== 'kernel') throw new Error('expected kernel boot');
    expect(readFileSync(boot.kernel).equals(kernel)).toBe(true);
    expect(boot.iso).toBeUndefined();
    expect(boot.append).toBe(`inst.ks=file:/ks.cfg inst.repo=${url} inst.text console=tty0 console=ttyS0,115200n8 net.ifnames=0`);
    const members = listInitrd(readFileSync(boot.initrd));
    expect(members.map((m) => m.name)).toEqual(['init', 'ks.cfg']);
    expect(members[1].data.toString()).toBe(readFileSync(answer.path, 'utf8'));
    // Second run: from the cache, and offline works too.
    const again = await isoFetch(makeDocument({ workdir, os: { name: 'Rocky-9', version: '4' }, install: { type: 'url', url }, answer }), {
      settings: settings('rocky', true),
    });
    expect(again.media!.original.fromCache).toBe(true);
  });

  it('Red Hat without .treeinfo falls back to images/pxeboot; RHEL 6 uses ks= and repo=', async () => {
    const url = server.url('/old');
    const workdir = join(dir, 'old');
    const answer = writeAnswer(workdir, 'redhat', 'kickstart');
    const out = await isoFetch(makeDocument({ workdir, os: { name: 'RHEL-6', version: '10' }, install: { type: 'url', url }, answer }), {
      settings: settings('old'),
    });
    expect(out.media!.tree).toMatchObject({ layout: 'pxeboot' });
    expect((out.media!.boot as { append: string }).append).toBe(`ks=file:/ks.cfg repo=${url} console=tty0 console=ttyS0,115200n8`);
  });

  it('Debian: finds the d-i netboot kernel under the mirror, preseed.cfg in the initrd, no auto=true', async () => {
    const url = server.url('/debian/dists/bookworm');
    const workdir = join(dir, 'debian');
    const answer = writeAnswer(workdir, 'debian', 'preseed', ['priority=critical']);
    const out = await isoFetch(makeDocument({ workdir, os: { name: 'Debian', version: '12' }, install: { type: 'url', url }, answer }), {
      settings: settings('debian'),
    });
    const boot = out.media!.boot;
    if (boot.method !== 'kernel') throw new Error('expected kernel boot');
    expect(readFileSync(boot.kernel).equals(diKernel)).toBe(true);
    expect(boot.append).toBe('vga=788 priority=critical console=tty0 console=ttyS0,115200n8 --- quiet');
    expect(boot.append).not.toContain('auto=true');
    expect(listInitrd(readFileSync(boot.initrd)).at(-1)!.name).toBe('preseed.cfg');
  });

  it('Ubuntu: a bare netboot directory (linux + initrd.gz) works too', async () => {
    const url = server.url('/ubuntu-netboot');
    const workdir = join(dir, 'ubuntu');
    const answer = writeAnswer(workdir, 'ubuntu', 'preseed');
    const out = await isoFetch(makeDocument({ workdir, os: { name: 'Ubuntu', version: '18.04' }, install: { type: 'url', url }, answer }), {
      settings: settings('ubuntu'),
    });
    expect((out.media!.boot as { append: string }).append).toBe('console=tty0 console=ttyS0,115200n8');
  });

  it('says clearly when a tree has no installer kernel, and refuses --boot iso for a tree', async () => {
    const workdir = join(dir, 'none');
    const answer = writeAnswer(workdir, 'redhat', 'kickstart');
    const doc = () => makeDocument({ workdir, os: { name: 'Fedora', version: '40' }, install: { type: 'url', url: server.url('/nothing/') }, answer });
    await expect(isoFetch(doc(), { settings: settings('none') })).rejects.toMatchObject({ code: 'BAD_MEDIA', message: expect.stringContaining('.treeinfo') });
    await expect(isoFetch(doc(), { settings: settings('none'), boot: 'iso' })).rejects.toMatchObject({ code: 'USAGE', exitCode: 64 });
    await expect(isoFetch(doc(), { settings: settings('none', true) })).rejects.toMatchObject({ code: 'OFFLINE_MISS', exitCode: 69 });
  });
});
