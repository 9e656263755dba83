/**
 * The whole install path on the ozkit test installer: tdl-validate | ks-render | iso-fetch |
 * guest-install through the committed CLIs, then the installed disk booted once (login prompt on
 * the console, sshd answering with the build key). Measured here under TCG: a cold install ≈ 5.5
 * min, a JEOS cache hit ≈ 5 s for the four stages, the boot to SSH ≈ 40 s.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { QemuVm, findFreePort } from '@ozkit/qemu';
import { HostKeyPin, loadPrivateKey, waitForSsh } from '@ozkit/ssh';
import {
  INSTALLED_IMAGE_ROOT_PASSWORD,
  installedDebianImage,
  installedImageTdlPath,
  overlayOf,
  runInstallPipeline,
  testCacheRoot,
} from '../support/installed-image.js';
import { expectCompletedInstall, testInstallerIso } from '../support/test-installer.js';

const repoRoot = resolve(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'ozkit-install-e2e-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('install on the test installer', () => {
  test(
    'the shared installed image boots to a login prompt with sshd accepting the build key',
    async () => {
      const image = await installedDebianImage();
      expect(image.document.disk).toMatchObject({ format: 'qcow2', markerSeen: true, bus: 'virtio' });
      // ks-render's default Debian 12 preseed, with the image's hostile root password, through a
      // complete install: read (the early_command's marker), late_command (key, marker), power-off.
      // The markers carry the id of the build that installed (a cache hit's document has its own).
      expect(image.document.template!.os.rootpw).toBeDefined();
      expectCompletedInstall(readFileSync(image.consoleLog, 'utf8'));
      const disk = await overlayOf(image, join(work, 'boot.qcow2'));
      const port = await findFreePort();
      const vm = await QemuVm.start({
        arch: 'x86_64',
        accel: 'tcg',
        cpus: 2,
        memoryMiB: 1024,
        disks: [{ path: disk, format: 'qcow2', bus: 'virtio' }],
        hostForwards: [{ hostPort: port, guestPort: 22 }],
        runDir: join(work, 'boot-run'),
        consoleLog: join(work, 'boot-console.log'),
      });
      try {
        await vm.console.waitFor(/login:/, 240_000);
        const session = await waitForSsh({
          host: '127.0.0.1',
          port,
          username: 'root',
          privateKey: await loadPrivateKey(image.privateKey),
          hostKeys: new HostKeyPin(),
          timeoutMs: 120_000,
        });
        try {
          const r = await session.exec('systemctl is-active ssh; cat /etc/debian_version; findmnt -n -o SOURCE,FSTYPE /', {
            timeoutMs: 60_000,
            captureStdout: true,
          });
          expect(r.exitCode).toBe(0);
          const [active, version, root] = r.stdout.trim().split('\n');
          expect(active).toBe('active');
          expect(version).toMatch(/^12\./);
          expect(root).toMatch(/^\/dev\/vda1\s+ext4$/);
          // The hostile root password arrived intact: the installed hash is that password's
          // (re-derived with openssl from the same salt, so not by ozkit's own sha512-crypt).
          const shadow = await session.exec('getent shadow root | cut -d: -f2', { timeoutMs: 60_000, captureStdout: true });
          const hash = shadow.stdout.trim();
          const salt = /^\$6\$([^$]+)\$/.exec(hash)?.[1];
          expect(salt, hash).toBeDefined();
          const expected = execFileSync('openssl', ['passwd', '-6', '-salt', salt!, '-stdin'], { input: INSTALLED_IMAGE_ROOT_PASSWORD, encoding: 'utf8' }).trim();
          expect(hash).toBe(expected);
        } finally {
          await session.close();
        }
      } finally {
        await vm.kill();
      }
    },
    40 * 60_000,
  );

  test(
    'a second run with the same media and answer file is a JEOS cache hit in seconds',
    async () => {
      const image = await installedDebianImage();
      const started = Date.now();
      const { installed, stderr } = await runInstallPipeline({
        tdlPath: installedImageTdlPath(),
        workdir: join(work, 'rerun'),
        iso: await testInstallerIso(),
        env: { ...process.env, OZKIT_CACHE_DIR: join(testCacheRoot(), 'installed-image', 'ozkit-cache'), OZKIT_CACHE_JEOS: 'yes' },
      });
      const seconds = (Date.now() - started) / 1000;
      expect(installed.disk!.jeos).toMatchObject({ hit: true, key: image.key, path: image.disk });
      expect(stderr).toMatch(/JEOS cache hit .* install skipped/);
      expect(seconds).toBeLessThan(60);
      expect(existsSync(installed.disk!.path)).toBe(true);
    },
    10 * 60_000,
  );

  test(
    'the user-facing example (examples/debian-12) installs fresh through the pipeline',
    async () => {
      const iso = await testInstallerIso();
      const workdir = join(work, 'example');
      const { installed, stderr } = await runInstallPipeline({
        tdlPath: join(repoRoot, 'examples/debian-12/debian-12.tdl'),
        workdir,
        iso,
        env: { ...process.env, OZKIT_CACHE_DIR: join(work, 'cache'), OZKIT_CACHE_JEOS: 'no', OZKIT_CPUS: '2' },
        guestInstallArgs: ['--require-marker', '--log-format', 'json'],
      });
      const disk = installed.disk!;
      expect(disk).toMatchObject({ path: join(workdir, 'debian-12-web.qcow2'), format: 'qcow2', virtualSize: 4 * 2 ** 30, markerSeen: true, ending: 'poweroff' });
      expect(disk.installSeconds).toBeGreaterThan(30);
      expect(readFileSync(disk.consoleLog, 'utf8')).toContain(installed.answer!.marker);
      const events = stderr
        .split('\n')
        .filter((l) => l.startsWith('{"time"'))
        .map((l) => JSON.parse(l));
      expect(events.some((e) => e.event === 'answer-file-loaded')).toBe(true);
      expect(events.some((e) => e.event === 'progress' && e.current > 100 << 20)).toBe(true);
      expect(installed.stages.map((s) => s.tool)).toEqual(['tdl-validate', 'ks-render', 'iso-fetch', 'guest-install']);
    },
    40 * 60_000,
  );
});
