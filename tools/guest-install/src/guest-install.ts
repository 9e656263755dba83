import { chmodSync, copyFileSync, existsSync, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { OzkitError } from '@ozkit/errors';
import { FailureWithEvidence, type BuildDocument, type Disk, type DocumentWith, type ImageFormat, type Template } from '@ozkit/build-document';
import { cacheArea, ensureDir, safeName, type Settings } from '@ozkit/config';
import type { Logger } from '@ozkit/log';
import { createDisk, probeAccel, requireQemuImg, requireQemuSystem, type VmOptions } from '@ozkit/qemu';
import { acquireLock, type FileLock } from '@ozkit/cache';
import { checkBootMedia } from './boot-media-check.js';
import { cloneJeos, findJeos, jeosKey, storeJeos, type JeosKeyParts } from './jeos-cache.js';
import { runInstallVm } from './install-run.js';

export interface GuestInstallOptions {
  settings: Pick<
    Settings,
    'cacheDir' | 'cpus' | 'memoryMiB' | 'imageType' | 'accel' | 'diskBus' | 'cacheJeos' | 'timeoutInstall' | 'timeoutInactivity' | 'screenshotDir'
  >;
  toolVersion: string;
  /** Where the disk goes (default `<workdir>/<name>.<format>`). */
  diskPath?: string;
  firmware?: 'bios' | 'uefi';
  /** Stream the serial console to stderr. */
  console?: boolean;
  /** Fail (instead of warning) when the guest powered off without writing the marker. */
  requireMarker?: boolean;
  /** Keep the disk of a failed install (as `<name>.failed.<format>`). */
  keepFailed?: boolean;
  /** Watchdog sampling interval, ms (tests make it short). */
  sampleMs?: number;
  /** QEMU arguments appended as given. */
  extraQemuArgs?: string[];
  logger: Logger;
  signal: AbortSignal;
}

/** Old guests without virtio drivers get IDE when the bus is `auto`. */
export function chooseDiskBus(requested: 'auto' | 'virtio' | 'ide', os: Pick<Template['os'], 'name' | 'version'>): 'virtio' | 'ide' {
  if (requested !== 'auto') return requested;
  const name = os.name.toLowerCase();
  const major = Number.parseInt(os.version, 10);
  if (name.startsWith('windows')) return 'ide';
  if (['rhel', 'centos', 'rhl', 'scientificlinux', 'sl', 'oel'].includes(name) && major < 5) return 'ide';
  if (name === 'debian' && major < 5) return 'ide';
  if (name === 'ubuntu' && major < 8) return 'ide';
  if (name === 'fedora' && major < 8) return 'ide';
  return 'virtio';
}

/**
 * The guest-install stage: creates the disk, runs the installer in QEMU until it ends (or
 * reuses a cached install), and adds `disk` to the document. Nothing half-done stays behind:
 * the disk is installed under a temporary name and renamed only on success.
 */
export async function guestInstall(doc: DocumentWith<'template' | 'answer' | 'media' | 'workdir'>, options: GuestInstallOptions): Promise<BuildDocument> {
  const { settings, logger, signal } = options;
  const { template, answer, media, workdir } = doc;
  ensureDir(workdir, 'workdir');
  const arch = template.os.arch;
  const sizeBytes = template.disk.sizeBytes;
  checkBootMedia(media.boot, arch);
  requireQemuSystem(arch);
  requireQemuImg();

  const format: ImageFormat = settings.imageType;
  const bus = chooseDiskBus(settings.diskBus, template.os);
  const firmware = options.firmware ?? 'bios';
  const diskPath = resolve(options.diskPath ?? join(workdir, `${safeName(template.name)}.${format}`));
  ensureDir(dirname(diskPath), 'disk directory');
  const consoleLog = join(workdir, 'install-console.log');
  const started = Date.now();

  const keyParts: JeosKeyParts = {
    mediaSha256: media.original.sha256,
    answerStableSha256: answer.stableSha256,
    sizeBytes,
    format,
    bus,
    firmware,
    arch,
    toolVersion: options.toolVersion,
  };
  const cacheable = keyParts.mediaSha256 !== '' && keyParts.answerStableSha256 !== '';
  const key = cacheable ? jeosKey(keyParts) : undefined;
  const jeosDir = settings.cacheJeos && key ? cacheArea(settings, 'jeos') : undefined;
  if (settings.cacheJeos && !cacheable) logger.warn('JEOS cache skipped: the document has no media.original.sha256 or answer.stableSha256');

  const tmpDisk = join(dirname(diskPath), `.${basename(diskPath)}.partial-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  const removeTmp = () => rmSync(tmpDisk, { force: true });

  // Another run installing the same image: wait for it and take its result instead of installing twice.
  let jeosLock: FileLock | undefined;
  if (jeosDir && key && !findJeos(jeosDir, key)) {
    try {
      jeosLock = await acquireLock(join(jeosDir, `.lock-${key}`), {
        timeoutMs: settings.timeoutInstall * 1000,
        signal,
        onWait: () => logger.info(`another build is installing the same image (JEOS ${key.slice(0, 12)}); waiting for it`),
      });
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      logger.warn(`${(error as Error).message}; installing without waiting`);
    }
  }
  try {
    return await installOrReuse();
  } finally {
    await jeosLock?.release();
  }

  async function installOrReuse(): Promise<BuildDocument> {
    // A cache hit: no install at all.
    if (jeosDir && key) {
      const hit = findJeos(jeosDir, key);
      if (hit) {
        try {
          const how = await cloneJeos(hit, tmpDisk, signal);
          const privateKey = join(workdir, 'jeos-build-key');
          const publicKey = `${privateKey}.pub`;
          copyPrivate(hit.privateKey, privateKey);
          copyFileSync(hit.publicKey, publicKey);
          if (existsSync(hit.consoleLog)) copyFileSync(hit.consoleLog, consoleLog);
          // A generated root password belongs to the image, not to this build's answer file.
          let rootPassword: { generated: true; file: string } | undefined;
          if (existsSync(hit.rootPassword)) {
            rootPassword = { generated: true, file: join(workdir, 'jeos-root-password') };
            copyPrivate(hit.rootPassword, rootPassword.file);
            logger.info(`its root password is the one generated at install time: ${rootPassword.file}`);
          }
          renameSync(tmpDisk, diskPath);
          logger.info(`JEOS cache hit ${key.slice(0, 12)}: install skipped; ${diskPath} is ${how === 'overlay' ? 'a qcow2 overlay on' : 'a copy of'} ${hit.image}`);
          logger.info(`the image accepts the build key it was installed with: ${privateKey}`);
          const disk: Disk = {
            path: diskPath,
            format,
            virtualSize: sizeBytes,
            bus,
            accel: hit.meta.accel ?? 'tcg',
            installSeconds: Math.round((Date.now() - started) / 100) / 10,
            consoleLog,
            markerSeen: hit.meta.markerSeen,
            buildKey: { privateKey, publicKey },
            jeos: { key, hit: true, path: hit.image },
            clone: how,
            ...(rootPassword ? { rootPassword } : {}),
            firmware,
          };
          return { ...doc, disk };
        } catch (error) {
          removeTmp();
          throw error;
        }
      }
    }

    const accel = await probeAccel(settings.accel, logger, { arch, cacheDir: settings.cacheDir, signal });
    if (settings.accel === 'auto' && accel.accel === 'tcg') logger.warn(`using TCG (software emulation, slow): ${accel.reason}`);
    else logger.debug(`accelerator ${accel.accel}: ${accel.reason}${accel.cached ? ' (cached verdict)' : ''}`);

    const runDir = mkdtempSync(join(workdir, '.guest-install-run-'));
    let succeeded = false;
    try {
      await createDisk(tmpDisk, format, sizeBytes, { signal });
      rmSync(consoleLog, { force: true });
      const boot = media.boot;
      const vm: VmOptions = {
        arch,
        accel: accel.accel,
        cpus: settings.cpus,
        memoryMiB: settings.memoryMiB,
        disks: [{ path: tmpDisk, format, bus, discard: true }],
        cdrom: boot.method === 'iso' ? boot.iso : boot.iso,
        kernel: boot.method === 'kernel' ? { kernel: boot.kernel, initrd: boot.initrd, append: boot.append } : undefined,
        boot: 'cdrom',
        runDir,
        consoleLog,
        firmware,
        extraArgs: options.extraQemuArgs,
      };
      const screenshotDir = settings.screenshotDir ?? workdir;
      ensureDir(screenshotDir, 'screenshot directory');
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      let result;
      try {
        result = await runInstallVm({
          vm,
          marker: answer.marker,
          failedMarker: answer.failedMarker,
          loadedMarker: answer.loadedMarker,
          timeoutSeconds: settings.timeoutInstall,
          inactivitySeconds: settings.timeoutInactivity,
          screenshotPath: join(screenshotDir, `${safeName(template.name)}-install-${stamp}.png`),
          streamConsole: options.console,
          sampleMs: options.sampleMs,
          logger,
          signal,
        });
      } catch (error) {
        if (error instanceof FailureWithEvidence && !signal.aborted) {
          const note = keepOrDelete(tmpDisk, diskPath, format, options.keepFailed);
          throw new FailureWithEvidence(
            error.code,
            `${error.message.split('\n')[0]}\n${note.text}\n${error.message.split('\n').slice(1).join('\n')}`,
            { ...error.evidence, disk: note.kept ?? null },
            { hint: error.hint },
          );
        }
        throw error;
      }
      if (!result.markerSeen) {
        const message = `the guest ${result.ending === 'reboot' ? 'rebooted' : 'powered off'} but never wrote the completion marker "${answer.marker}" to the serial console`;
        if (options.requireMarker) {
          const note = keepOrDelete(tmpDisk, diskPath, format, options.keepFailed);
          throw new FailureWithEvidence(
            'INSTALL_FAILED',
            `${message}; the install may be incomplete\n${note.text}`,
            { reason: 'no-marker', consoleLog, disk: note.kept ?? null },
            { hint: 'check the answer file\'s late command, or drop --require-marker' },
          );
        }
        logger.warn(`${message}; keeping the disk, but the install may be incomplete (use --require-marker to fail instead)`);
      }
      const installSeconds = Math.round(result.seconds * 10) / 10;
      let jeos: Disk['jeos'];
      if (jeosDir && key) {
        if (result.markerSeen) {
          const entry = await storeJeos(
            jeosDir,
            key,
            {
              image: tmpDisk,
              privateKey: answer.buildKey.privateKey,
              publicKey: answer.buildKey.publicKey,
              consoleLog,
              generatedRootPassword: 'generated' in answer.rootPassword && answer.rootPassword.generated && existsSync(answer.rootPassword.file) ? answer.rootPassword.file : undefined,
            },
            { parts: keyParts, markerSeen: true, installSeconds, accel: accel.accel },
            signal,
          );
          jeos = { key, hit: false, path: entry.image };
          logger.info(`stored the installed image in the JEOS cache (${key.slice(0, 12)})`);
        } else {
          logger.warn('not storing this install in the JEOS cache: its completion marker was not seen');
        }
      }
      if (existsSync(diskPath)) logger.info(`replacing ${diskPath}`);
      renameSync(tmpDisk, diskPath);
      succeeded = true;
      const disk: Disk = {
        path: diskPath,
        format,
        virtualSize: sizeBytes,
        bus,
        accel: accel.accel,
        installSeconds,
        consoleLog,
        markerSeen: result.markerSeen,
        buildKey: { privateKey: answer.buildKey.privateKey, publicKey: answer.buildKey.publicKey },
        ...(jeos ? { jeos } : {}),
        ending: result.ending,
        firmware,
      };
      logger.info(`installed ${diskPath} (${format}, ${formatSize(statSync(diskPath).blocks * 512)} on disk) in ${Math.round(installSeconds)} s`);
      return { ...doc, disk };
    } finally {
      if (!succeeded && existsSync(tmpDisk)) removeTmp();
      rmSync(runDir, { recursive: true, force: true });
    }
  }
}

function copyPrivate(from: string, to: string): void {
  rmSync(to, { force: true });
  copyFileSync(from, to);
  chmodSync(to, 0o600);
}

/** The failed disk: deleted, or kept under a name that says so. */
function keepOrDelete(tmpDisk: string, diskPath: string, format: ImageFormat, keep: boolean | undefined): { text: string; kept?: string } {
  if (!existsSync(tmpDisk)) return { text: 'no disk was created' };
  if (keep) {
    const kept = diskPath.replace(new RegExp(`\\.${format}$`), '') + `.failed.${format}`;
    renameSync(tmpDisk, kept);
    return { text: `the failed disk was kept: ${kept}`, kept };
  }
  rmSync(tmpDisk, { force: true });
  return { text: 'the partial disk was deleted (keep it with --keep-failed)' };
}

function formatSize(bytes: number): string {
  return bytes >= 1 << 30 ? `${(bytes / (1 << 30)).toFixed(1)} GiB` : `${(bytes / (1 << 20)).toFixed(0)} MiB`;
}
