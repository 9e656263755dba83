import { existsSync, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { OzkitError } from '@ozkit/errors';
import type { Disk } from '@ozkit/build-document';
import { ensureDir, safeName } from '@ozkit/config';
import { GuestFailure, createDisk, flushDiskImage, selectBackend, type AccelChoice, type GuestDescription, type VmBackend } from '@ozkit/vm';
import { keepOrDeleteDisk, withDiskNote } from './failed-disk.js';
import type { GuestInstallOptions } from './guest-install.js';
import type { InstallInputs } from './install-inputs.js';
import { runInstallVm, type InstallRunResult } from './install-run.js';
import { storeJeos } from './jeos-cache.js';
import type { JeosPlan } from './jeos-plan.js';

/**
 * Steps 2–5 and the end: choose the accelerator, create the disk under its temporary name,
 * run and watch the installer, judge the marker, store the result in the JEOS cache, rename
 * the disk into place. A failed install's disk is deleted or kept as `<name>.failed.<format>`.
 */
export async function installFresh(inputs: InstallInputs, jeos: JeosPlan | undefined, options: GuestInstallOptions): Promise<Disk> {
  const { logger, signal } = options;
  const backend = installBackend(inputs, options);
  const accel = await chooseAccel(inputs.arch, backend, options);
  const runDir = mkdtempSync(join(inputs.workdir, '.guest-install-run-'));
  let succeeded = false;
  try {
    await createDisk(inputs.partialDisk, inputs.format, inputs.sizeBytes, { signal });
    rmSync(inputs.consoleLog, { force: true });
    const result = await runInstaller(inputs, installerGuest(inputs, accel, runDir, options), backend, options);
    checkMarker(inputs, result, options);
    // The installer wrote with cache=unsafe (its flushes ignored); one flush now that it finished.
    await flushDiskImage(inputs.partialDisk);
    const installSeconds = Math.round(result.seconds * 10) / 10;
    const stored = jeos ? await storeInJeos(inputs, jeos, result, installSeconds, options) : undefined;
    if (existsSync(inputs.diskPath)) logger.info(`replacing ${inputs.diskPath}`);
    renameSync(inputs.partialDisk, inputs.diskPath);
    succeeded = true;
    logger.info(`installed ${inputs.diskPath} (${inputs.format}, ${formatSize(statSync(inputs.diskPath).blocks * 512)} on disk) in ${Math.round(installSeconds)} s`);
    return {
      path: inputs.diskPath,
      format: inputs.format,
      virtualSize: inputs.sizeBytes,
      bus: inputs.bus,
      accel: result.accel,
      installSeconds,
      consoleLog: inputs.consoleLog,
      markerSeen: result.markerSeen,
      buildKey: { privateKey: inputs.answer.buildKey.privateKey, publicKey: inputs.answer.buildKey.publicKey },
      ...(stored ? { jeos: stored } : {}),
      ending: result.ending,
      firmware: inputs.firmware,
    };
  } finally {
    if (!succeeded && existsSync(inputs.partialDisk)) rmSync(inputs.partialDisk, { force: true });
    rmSync(runDir, { recursive: true, force: true });
  }
}

/** Step 2: `--accel kvm|tcg` forces; `auto` uses KVM only after a probe guest really ran under it. */
/** What runs the installer: libvirt when a URI is set, else QEMU directly. */
function installBackend(inputs: InstallInputs, options: GuestInstallOptions): VmBackend {
  return selectBackend(options.settings, { build: inputs.template.name, stage: 'guest-install' });
}

async function chooseAccel(arch: string, backend: VmBackend, options: GuestInstallOptions): Promise<AccelChoice> {
  const { settings, logger, signal } = options;
  const accel = await backend.chooseAccel(settings.accel, { arch, cacheDir: settings.cacheDir, signal }, logger);
  if (settings.accel === 'auto' && accel.accel === 'tcg') logger.warn(`using TCG (software emulation, slow): ${accel.reason}`);
  else logger.debug(`accelerator ${accel.accel}: ${accel.reason}${accel.cached ? ' (cached verdict)' : ''}`);
  return accel;
}

/**
 * Step 4: the installer guest — the boot media, the new disk (discard on; cache=unsafe, as the disk
 * is deleted unless the install finishes, and flushed once then), the console to the workdir.
 */
function installerGuest(inputs: InstallInputs, accel: AccelChoice, runDir: string, options: GuestInstallOptions): GuestDescription {
  const boot = inputs.media.boot;
  return {
    arch: inputs.arch,
    accel: accel.accel,
    cpus: options.settings.cpus,
    memoryMiB: options.settings.memoryMiB,
    disks: [{ path: inputs.partialDisk, format: inputs.format, bus: inputs.bus, discard: true, cache: 'unsafe' }],
    ...(boot.iso !== undefined ? { cdrom: boot.iso, cdromFormat: boot.isoFormat ?? 'raw' } : {}),
    ...(boot.method === 'kernel' ? { kernel: { kernel: boot.kernel, initrd: boot.initrd, append: boot.append } } : {}),
    boot: 'cdrom',
    runDir,
    consoleLog: inputs.consoleLog,
    firmware: inputs.firmware,
    ...(options.extraQemuArgs?.length ? { qemuArgs: options.extraQemuArgs } : {}),
  };
}

/** Step 5: the watched run; a failure says what became of the disk. */
async function runInstaller(inputs: InstallInputs, guest: GuestDescription, backend: VmBackend, options: GuestInstallOptions): Promise<InstallRunResult> {
  const { settings, signal } = options;
  const screenshotDir = settings.screenshotDir ?? inputs.workdir;
  ensureDir(screenshotDir, 'screenshot directory');
  try {
    return await runInstallVm({
      guest,
      backend,
      marker: inputs.answer.marker,
      ...(typeof inputs.answer.failedMarker === 'string' ? { failedMarker: inputs.answer.failedMarker } : {}),
      ...(typeof inputs.answer.loadedMarker === 'string' ? { loadedMarker: inputs.answer.loadedMarker } : {}),
      timeoutSeconds: settings.timeoutInstall,
      inactivitySeconds: settings.timeoutInactivity,
      screenshotPrefix: join(screenshotDir, `${safeName(inputs.template.name)}-install`),
      ...(options.console ? { streamConsole: true } : {}),
      ...(options.sampleMs !== undefined ? { sampleMs: options.sampleMs } : {}),
      logger: options.logger,
      signal,
    });
  } catch (error) {
    if (error instanceof GuestFailure && !signal.aborted)
      throw withDiskNote(error, keepOrDeleteDisk(inputs.partialDisk, inputs.diskPath, inputs.format, options.keepFailed));
    throw error;
  }
}

/** Without the completion marker the install may be incomplete: a warning, or a failure with --require-marker. */
function checkMarker(inputs: InstallInputs, result: InstallRunResult, options: GuestInstallOptions): void {
  if (result.markerSeen) return;
  const marker = inputs.answer.marker;
  const message = `the guest ${result.ending === 'reboot' ? 'rebooted' : 'powered off'} but never wrote the completion marker "${marker}" to the serial console`;
  if (options.requireMarker) {
    const note = keepOrDeleteDisk(inputs.partialDisk, inputs.diskPath, inputs.format, options.keepFailed);
    throw new OzkitError('INSTALL_FAILED', `${message}; the install may be incomplete\n${note.text}`, {
      hint: "check the answer file's late command, or drop --require-marker",
      details: { failure: { reason: 'no-marker', consoleLog: inputs.consoleLog, disk: note.kept ?? null } },
    });
  }
  options.logger.warn(`${message}; keeping the disk, but the install may be incomplete (use --require-marker to fail instead)`);
}

/** Only installs whose marker was seen are stored. */
async function storeInJeos(
  inputs: InstallInputs,
  jeos: JeosPlan,
  result: InstallRunResult,
  installSeconds: number,
  options: GuestInstallOptions,
): Promise<Disk['jeos']> {
  const { logger, signal } = options;
  if (!result.markerSeen) {
    logger.warn('not storing this install in the JEOS cache: its completion marker was not seen');
    return undefined;
  }
  const { answer } = inputs;
  const generated =
    'generated' in answer.rootPassword && answer.rootPassword.generated && existsSync(answer.rootPassword.file) ? answer.rootPassword.file : undefined;
  const entry = await storeJeos(
    jeos.dir,
    jeos.key,
    {
      image: inputs.partialDisk,
      privateKey: answer.buildKey.privateKey,
      publicKey: answer.buildKey.publicKey,
      consoleLog: inputs.consoleLog,
      ...(generated ? { generatedRootPassword: generated } : {}),
    },
    { parts: jeos.parts, markerSeen: true, installSeconds, accel: result.accel },
    signal,
  );
  logger.info(`stored the installed image in the JEOS cache (${jeos.key.slice(0, 12)})`);
  return { key: jeos.key, hit: false, path: entry.image };
}

function formatSize(bytes: number): string {
  return bytes >= 1 << 30 ? `${(bytes / (1 << 30)).toFixed(1)} GiB` : `${(bytes / (1 << 20)).toFixed(0)} MiB`;
}
