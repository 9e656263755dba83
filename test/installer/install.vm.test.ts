// The test installer end to end under QEMU (TCG): build or reuse the ISO, install onto a qcow2
// disk from a preseed reached the ways d-i reaches it, then boot the disk and check the system.
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  PRESEED_LOADED_MARKER,
  appendPreseedToInitrd,
  extractInstallerKernel,
  remasterWithPreseed,
  testInstallerIso,
  testPreseed,
} from '../support/test-installer.js';
import { QemuGuest, freePort, readBanner } from './qemu-guest.js';

// Measured under TCG: install 74 s on a quiet machine, up to 15 min at load average 20;
// boot to the login prompt 34-100 s.
const INSTALL_TIMEOUT = 30 * 60_000;
const BOOT_TIMEOUT = 10 * 60_000;
const TEST_TIMEOUT = INSTALL_TIMEOUT + BOOT_TIMEOUT + 10 * 60_000;

let iso: string;
let work: string;
const timings: Record<string, number> = {};

beforeAll(async () => {
  const started = Date.now();
  iso = await testInstallerIso();
  timings['build (or cache hit)'] = (Date.now() - started) / 1000;
  work = mkdtempSync(join(tmpdir(), 'ozkit-installer-vm-'));
});
afterEach(async () => {
  await QemuGuest.killAll();
});
afterAll(async () => {
  await QemuGuest.killAll();
  if (work) rmSync(work, { recursive: true, force: true });
  console.info(`test installer timings (s): ${JSON.stringify(timings)}`);
});

function createDisk(path: string, size = '4G'): void {
  const result = spawnSync('qemu-img', ['create', '-q', '-f', 'qcow2', path, size], { encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
}

/** Runs an install guest to its end; returns the console text. */
async function install(name: string, args: string[], expectPowerOff: boolean, kernelOnSerial = true): Promise<string> {
  const started = Date.now();
  const guest = new QemuGuest(work, ['-no-reboot', ...args], name);
  const exit = await guest.waitForExit(INSTALL_TIMEOUT);
  timings[`install ${name}`] = (Date.now() - started) / 1000;
  const console = guest.console();
  expect(exit.code, `QEMU: ${guest.qemuStderr}\n${guest.tail()}`).toBe(0);
  expect(console).not.toContain('INSTALLATION FAILED');
  expect(console).toContain(expectPowerOff ? 'installation complete; powering off' : 'installation complete; rebooting');
  // The kernel's own last word, where its console is the serial port.
  if (kernelOnSerial) expect(console).toMatch(expectPowerOff ? /reboot: Power down/ : /reboot: Restarting system/);
  return console;
}

/**
 * Boots the installed disk: login prompt on ttyS0, an SSH banner on the forwarded port, then a
 * root login on the serial console with `password`; returns the output of `commands`.
 */
async function bootAndLogin(
  name: string,
  disk: string,
  diskBus: 'virtio' | 'ide',
  password: string,
  commands: string,
): Promise<{ console: string; banner: string; output: string }> {
  const port = await freePort();
  const started = Date.now();
  const guest = new QemuGuest(
    work,
    ['-drive', `file=${disk},if=${diskBus},format=qcow2`, '-netdev', `user,id=n0,hostfwd=tcp:127.0.0.1:${port}-:22`, '-device', 'virtio-net-pci,netdev=n0'],
    name,
  );
  await guest.waitFor(/login: $/m, BOOT_TIMEOUT);
  timings[`boot ${name} to login prompt`] = (Date.now() - started) / 1000;
  const banner = await readBanner(port, 120_000);

  let mark = guest.console().length;
  guest.type('root\n');
  await guest.waitFor(/Password: ?$/m, 60_000, mark);
  mark = guest.console().length;
  guest.type(`${password}\n`);
  await guest.waitFor(/root@[^\n]*# $/m, 120_000, mark);
  mark = guest.console().length;
  // The result lines start with "OUT:", which the echoed command line does not.
  guest.type(`${commands}; echo "END:$((40+2))"\n`);
  await guest.waitFor(/^END:42$/m, 120_000, mark);
  const output = guest.console().slice(mark);
  guest.type('poweroff\n');
  await guest.waitForExit(180_000).catch(() => guest.kill());
  return { console: guest.console(), banner, output };
}

function outputLine(output: string, key: string): string | undefined {
  return new RegExp(`^OUT:${key}=(.*)$`, 'm').exec(output)?.[1]?.trim();
}

const checks = [
  'echo "OUT:late=$(cat /root/late-command-ran 2>&1)"',
  'echo "OUT:pkg=$(dpkg-query -W -f=\'${Status}\' tree 2>&1)"',
  'echo "OUT:sshd=$(systemctl is-active ssh)"',
  'echo "OUT:sshd-enabled=$(systemctl is-enabled ssh)"',
  'echo "OUT:cmdline=$(cat /proc/cmdline)"',
  'echo "OUT:hostname=$(hostname)"',
  'echo "OUT:tz=$(cat /etc/timezone)"',
  'echo "OUT:machine-id=$(cat /etc/machine-id)"',
  'echo "OUT:root=$(findmnt -no FSTYPE /)"',
  'echo "OUT:getty=$(systemctl is-active serial-getty@ttyS0)"',
  'echo "OUT:installer-log=$(grep -c ozkit-installer /var/log/installer/syslog)"',
  'echo "OUT:password-in-log=$(grep -c s3cret-Pw /var/log/installer/syslog /var/log/installer/preseed.db | paste -sd, -)"',
].join('; ');

describe('test installer', () => {
  it('has the layout of a Debian netinst ISO', () => {
    const listing = spawnSync('xorriso', ['-indev', iso, '-find', '/', '-type', 'f'], { encoding: 'utf8' }).stdout;
    for (const path of [
      '/install.amd/vmlinuz',
      '/install.amd/initrd.gz',
      '/isolinux/isolinux.bin',
      '/isolinux/isolinux.cfg',
      '/isolinux/txt.cfg',
      '/isolinux/menu.cfg',
      '/boot/grub/grub.cfg',
      '/boot/grub/efi.img',
      '/.disk/info',
      '/md5sum.txt',
    ]) {
      expect(listing, path).toContain(`'${path}'`);
    }
    const pvd = spawnSync('xorriso', ['-indev', iso, '-pvd_info'], { encoding: 'utf8' }).stdout;
    expect(pvd).toMatch(/Volume Id\s*:\s*Debian 12\.\d+\.0 amd64 n/);
    const boot = spawnSync('xorriso', ['-indev', iso, '-report_el_torito', 'plain'], { encoding: 'utf8' }).stdout;
    expect(boot).toMatch(/El Torito boot img :\s+1\s+BIOS/);
    expect(boot).toMatch(/El Torito boot img :\s+2\s+UEFI/);
    const extracted = join(work, 'txt.cfg');
    spawnSync('xorriso', ['-osirrox', 'on', '-indev', iso, '-extract', '/isolinux/txt.cfg', extracted]);
    expect(readFileSync(extracted, 'utf8')).toContain('append vga=788 initrd=/install.amd/initrd.gz --- quiet');
    const extractedGrub = join(work, 'grub.cfg');
    spawnSync('xorriso', ['-osirrox', 'on', '-indev', iso, '-extract', '/boot/grub/grub.cfg', extractedGrub]);
    expect(readFileSync(extractedGrub, 'utf8')).toMatch(/linux\s+\/install\.amd\/vmlinuz .*\n\s+initrd\s+\/install\.amd\/initrd\.gz/);
  });

  it(
    'installs from file=/cdrom/preseed/ozkit.seed on a remastered ISO onto virtio /dev/vda, and the disk boots to login and sshd',
    async () => {
      const remastered = join(work, 'remastered.iso');
      await remasterWithPreseed({
        iso,
        out: remastered,
        preseed: testPreseed({
          hostname: 'ozkit-vda',
          domain: 'example.test',
          rootPassword: 's3cret-Pw',
          timezone: 'Europe/Paris',
          packages: ['tree'],
          lateCommands: ["in-target sh -c 'echo late-ok > /root/late-command-ran'"],
          marker: 'OZKIT-INSTALL-COMPLETE vda-run',
        }),
        kernelArgs: ['console=ttyS0,115200n8'],
      });
      const disk = join(work, 'vda.qcow2');
      createDisk(disk);
      const console = await install(
        'vda',
        [
          '-cdrom',
          remastered,
          '-boot',
          'd',
          '-drive',
          `file=${disk},if=virtio,format=qcow2,discard=unmap`,
          '-netdev',
          'user,id=n0',
          '-device',
          'virtio-net-pci,netdev=n0',
        ],
        true,
      );
      expect(console).toContain(`preseed: /cdrom/preseed/ozkit.seed`);
      expect(console).toMatch(new RegExp(`^${PRESEED_LOADED_MARKER}$`, 'm'));
      expect(console).toMatch(/^OZKIT-INSTALL-COMPLETE vda-run$/m);
      expect(console).toContain('/dev/vda (4096 MiB): one ext4 root filling the disk');
      expect(console).not.toContain('s3cret-Pw');

      const { banner, output } = await bootAndLogin('vda-boot', disk, 'virtio', 's3cret-Pw', checks);
      expect(banner).toMatch(/^SSH-2\.0-OpenSSH_/);
      expect(outputLine(output, 'late')).toBe('late-ok');
      expect(outputLine(output, 'pkg')).toBe('install ok installed');
      expect(outputLine(output, 'sshd')).toBe('active');
      expect(outputLine(output, 'sshd-enabled')).toBe('enabled');
      expect(outputLine(output, 'cmdline')).toContain('console=ttyS0,115200n8');
      // Root by UUID, so the disk boots on another bus (guest-customize may attach it differently).
      expect(outputLine(output, 'cmdline')).toMatch(/root=UUID=[0-9a-f-]{36} /);
      expect(outputLine(output, 'hostname')).toBe('ozkit-vda');
      expect(outputLine(output, 'tz')).toBe('Europe/Paris');
      expect(outputLine(output, 'machine-id')).toMatch(/^[0-9a-f]{32}$/);
      expect(outputLine(output, 'root')).toBe('ext4');
      expect(outputLine(output, 'getty')).toBe('active');
      expect(Number(outputLine(output, 'installer-log'))).toBeGreaterThan(5);
      expect(outputLine(output, 'password-in-log')).toMatch(/^(\/[^:]+:0,?)+$/);
    },
    TEST_TIMEOUT,
  );

  it(
    'installs from /preseed.cfg appended to the initrd onto IDE /dev/sda with a crypted root password, then reboots',
    async () => {
      const hash = spawnSync('busybox', ['mkpasswd', '-m', 'sha512', 'Crypt3d-pw'], { encoding: 'utf8' }).stdout.trim();
      expect(hash).toMatch(/^\$6\$/);
      const { kernel, initrd } = await extractInstallerKernel(iso, join(work, 'kernel'));
      const withPreseed = join(work, 'kernel', 'initrd-preseed.gz');
      await appendPreseedToInitrd(
        initrd,
        testPreseed({
          hostname: 'ozkit-sda',
          rootPasswordCrypted: hash,
          packages: ['tree'],
          lateCommands: ["in-target sh -c 'echo late-ok > /root/late-command-ran'"],
          poweroff: false,
          disk: '/dev/sda',
        }),
        withPreseed,
      );
      const disk = join(work, 'sda.qcow2');
      createDisk(disk);
      const console = await install(
        'sda',
        [
          '-kernel',
          kernel,
          '-initrd',
          withPreseed,
          '-append',
          'console=ttyS0,115200n8 priority=critical',
          '-cdrom',
          iso,
          '-drive',
          `file=${disk},if=ide,format=qcow2`,
          '-netdev',
          'user,id=n0',
          '-device',
          'e1000,netdev=n0',
        ],
        false,
      );
      expect(console).toContain('preseed: initrd:/preseed.cfg');
      expect(console).toContain('/dev/sda (4096 MiB)');
      expect(console).toContain('root password set (crypted)');
      expect(console).toContain('installation complete; rebooting');

      const { output } = await bootAndLogin('sda-boot', disk, 'ide', 'Crypt3d-pw', checks);
      expect(outputLine(output, 'late')).toBe('late-ok');
      expect(outputLine(output, 'pkg')).toBe('install ok installed');
      expect(outputLine(output, 'sshd')).toBe('active');
      expect(outputLine(output, 'hostname')).toBe('ozkit-sda');
    },
    TEST_TIMEOUT,
  );

  it(
    "takes Oz's Debian preseed with Oz's boot line (file=/cdrom/preseed/customiso.seed) and acts on its answers",
    async () => {
      // Oz's own file where Debian's oz package (or an unpacked copy) is on this machine, else a
      // preseed of the same shape.
      const ozAuto = process.env.OZ_AUTO_DIR ?? '/usr/lib/python3/dist-packages/oz/auto';
      const ozFile = existsSync(ozAuto)
        ? join(
            ozAuto,
            readdirSync(ozAuto)
              .filter((f) => /^Debian\d+\.auto$/.test(f))
              .sort((a, b) => parseInt(a.slice(6)) - parseInt(b.slice(6)))
              .pop()!,
          )
        : resolve(import.meta.dirname, 'fixtures/oz-style-debian.seed');
      // Oz's file as it is, and the VM has no disk: the run ends at partitioning, after the boot
      // line, the preseed and the network, powering off (one line added to Oz's file says so). What
      // follows — base system, late_command with in-target and /target, the reboot — is the vda and
      // sda cases' (and ks-render's default preseed, the shared image's); the oz bench installs
      // with Oz's file completely.
      const preseed = `${readFileSync(ozFile, 'utf8').replaceAll('%ROOTPW%', 'ozrootpw')}\nd-i ozkit-installer/on-error string poweroff\n`;
      const remastered = join(work, 'oz.iso');
      // Oz's isolinux.cfg: no serial console argument; the installer logs to ttyS0 regardless.
      await remasterWithPreseed({ iso, out: remastered, preseed, seedPath: '/preseed/customiso.seed' });
      const started = Date.now();
      const guest = new QemuGuest(work, ['-no-reboot', '-cdrom', remastered, '-boot', 'd', '-netdev', 'user,id=n0', '-device', 'virtio-net-pci,netdev=n0'], 'oz');
      const exit = await guest.waitForExit(10 * 60_000);
      timings["Oz's preseed to the partitioning error"] = (Date.now() - started) / 1000;
      const console = guest.console();
      expect(exit.code, `QEMU: ${guest.qemuStderr}\n${guest.tail()}`).toBe(0);
      expect(console).toContain(
        'file=/cdrom/preseed/customiso.seed debian-installer/locale=en_US console-setup/layoutcode=us netcfg/choose_interface=auto priority=critical',
      );
      expect(console).toContain('preseed: /cdrom/preseed/customiso.seed');
      // The file's answers are in use: its last line made the failure power the VM off.
      expect(console).toContain('ozkit-installer: ERROR: partitioning: no disk to install to');
      expect(console).not.toContain('installation complete');
    },
    TEST_TIMEOUT,
  );

  it(
    "fetches the preseed from preseed/url over the guest network (url=HOST:PORT, d-i's short form) and acts on its answers",
    async () => {
      // The fetched preseed names a disk that does not exist: the run ends at partitioning, right
      // after the preseed and network steps, and that error proves the answers used are the fetched
      // file's. A complete install after the preseed is loaded is the other cases' (vda, sda, oz).
      const requests: string[] = [];
      const preseed = testPreseed({ hostname: 'ozkit-url', disk: '/dev/vdz' });
      const server = createServer((request, response) => {
        requests.push(request.url ?? '');
        response.writeHead(200, { 'content-type': 'text/plain' }).end(preseed);
      });
      await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
      try {
        const port = (server.address() as AddressInfo).port;
        const { kernel, initrd } = await extractInstallerKernel(iso, join(work, 'kernel-url'));
        const disk = join(work, 'url.qcow2');
        createDisk(disk);
        const started = Date.now();
        // QEMU user networking shows the host's 127.0.0.1 to the guest as 10.0.2.2.
        const guest = new QemuGuest(
          work,
          [
            '-no-reboot',
            '-kernel',
            kernel,
            '-initrd',
            initrd,
            '-append',
            `console=ttyS0,115200n8 auto=true priority=critical ozkit-installer/on-error=poweroff url=10.0.2.2:${port}`,
            '-cdrom',
            iso,
            '-drive',
            `file=${disk},if=virtio,format=qcow2`,
            '-netdev',
            'user,id=n0',
            '-device',
            'virtio-net-pci,netdev=n0',
          ],
          'url',
        );
        const exit = await guest.waitForExit(10 * 60_000);
        timings['preseed/url to the partitioning error'] = (Date.now() - started) / 1000;
        const console = guest.console();
        expect(exit.code, `QEMU: ${guest.qemuStderr}\n${guest.tail()}`).toBe(0);
        expect(requests).toHaveLength(1);
        expect(requests[0]).toMatch(/^\/d-i\/bookworm\/(\.\/)?preseed\.cfg$/);
        expect(console).toContain(`preseed: http://10.0.2.2:${port}/d-i/bookworm/./preseed.cfg`);
        expect(console).toMatch(new RegExp(`^${PRESEED_LOADED_MARKER}$`, 'm'));
        expect(console).toContain('ozkit-installer: ERROR: partitioning: partman-auto/disk /dev/vdz is not a block device');
        expect(console).not.toContain('installation complete');
      } finally {
        await new Promise((done) => server.close(done));
      }
    },
    TEST_TIMEOUT,
  );

  it(
    'stops with a clear error on a missing preseed file or target disk (powering off when told to)',
    async () => {
      const { kernel, initrd } = await extractInstallerKernel(iso, join(work, 'kernel-fail'));
      const cases = [
        {
          name: 'no-seed',
          args: 'file=/cdrom/preseed/missing.seed',
          error: 'ERROR: loading the preseed: preseed file /cdrom/preseed/missing.seed (from the kernel command line) does not exist',
        },
        { name: 'no-disk', args: 'partman-auto/disk=/dev/vdz', error: 'ERROR: partitioning: partman-auto/disk /dev/vdz is not a block device' },
      ];
      for (const c of cases) {
        const disk = join(work, `${c.name}.qcow2`);
        createDisk(disk);
        const started = Date.now();
        const guest = new QemuGuest(
          work,
          [
            '-no-reboot',
            '-kernel',
            kernel,
            '-initrd',
            initrd,
            '-append',
            `console=ttyS0,115200n8 priority=critical ozkit-installer/on-error=poweroff ${c.args}`,
            '-cdrom',
            iso,
            '-drive',
            `file=${disk},if=virtio,format=qcow2`,
            '-netdev',
            'user,id=n0',
            '-device',
            'virtio-net-pci,netdev=n0',
          ],
          c.name,
        );
        const exit = await guest.waitForExit(10 * 60_000);
        timings[`failing install ${c.name}`] = (Date.now() - started) / 1000;
        expect(exit.code).toBe(0);
        expect(guest.console()).toContain(`ozkit-installer: ${c.error}`);
        expect(guest.console()).toContain('INSTALLATION FAILED');
        expect(guest.console()).not.toContain('installation complete');
      }
    },
    TEST_TIMEOUT,
  );

  it(
    'boots under UEFI (OVMF, q35/SATA) through efi.img into the installer, which reads file=/cdrom/… from grub.cfg',
    async () => {
      const code = '/usr/share/OVMF/OVMF_CODE_4M.fd';
      const vars = join(work, 'OVMF_VARS.fd');
      spawnSync('cp', ['/usr/share/OVMF/OVMF_VARS_4M.fd', vars]);
      const remastered = join(work, 'efi.iso');
      // A disk that does not exist ends the run right after the preseed and network steps.
      await remasterWithPreseed({
        iso,
        out: remastered,
        preseed: testPreseed({ hostname: 'ozkit-efi' }),
        kernelArgs: ['console=ttyS0,115200n8', 'ozkit-installer/on-error=poweroff', 'partman-auto/disk=/dev/vdz'],
      });
      const started = Date.now();
      const guest = new QemuGuest(
        work,
        [
          '-no-reboot',
          '-machine',
          'q35,accel=tcg',
          '-drive',
          `if=pflash,format=raw,readonly=on,file=${code}`,
          '-drive',
          `if=pflash,format=raw,file=${vars}`,
          '-cdrom',
          remastered,
          '-netdev',
          'user,id=n0',
          '-device',
          'virtio-net-pci,netdev=n0',
        ],
        'efi',
      );
      const exit = await guest.waitForExit(10 * 60_000);
      timings['UEFI boot to installer error'] = (Date.now() - started) / 1000;
      expect(exit.code).toBe(0);
      const console = guest.console();
      expect(console).toContain('preseed: /cdrom/preseed/ozkit.seed');
      expect(console).toMatch(new RegExp(`^${PRESEED_LOADED_MARKER}$`, 'm'));
      expect(console).toContain('ERROR: partitioning: partman-auto/disk /dev/vdz is not a block device');
    },
    TEST_TIMEOUT,
  );
});
