import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { toOzkitError } from '@ozkit/errors';
import type { BuildDocument, Customize, CustomizeStep, OutputFormat } from '@ozkit/build-document';
import type { Settings, TargetCloud } from '@ozkit/config';
import { PhaseClock, type Logger } from '@ozkit/log';
import { HostKeyPin, type SshSession } from '@ozkit/ssh';
import type { WatchedGuest } from '@ozkit/vm';
import { applyTemplate } from './apply-template.js';
import { bootWorkingImage } from './boot-working-image.js';
import { imagePropertiesFor, openstackCreateCommand } from './cloud-image.js';
import { readCustomizeInputs } from './customize-inputs.js';
import { detectGuest } from './detect-guest.js';
import { GuestRunner } from './guest-runner.js';
import { powerOff } from './power-off.js';
import { probeCloud, sealImage } from './seal-image.js';
import { takeInventory } from './take-inventory.js';
import type { TemplateRun } from './template-run.js';
import { copyInstalledDisk, finishImage } from './working-image.js';

export type CustomizeSettings = Partial<Pick<Settings, 'outputFormat'>> &
  Pick<
    Settings,
    'targetCloud' | 'timeoutBoot' | 'timeoutShutdown' | 'cpus' | 'memoryMiB' | 'accel' | 'cacheDir' | 'offline' | 'connect' | 'virtType' | 'pool' | 'bridgeName'
  >;

export interface CustomizeOptions {
  settings: CustomizeSettings;
  logger: Logger;
  signal?: AbortSignal;
  /** Seal the image (default true). */
  seal?: boolean;
  /** Seal operations to run (default all), see SEAL_OPERATION_NAMES. */
  sealOps?: string[];
  /** The cloud to seal for (default settings.targetCloud). */
  targetCloud?: TargetCloud;
  /** An image without cloud-init is an error (65). */
  requireCloudInit?: boolean;
  /** Compress the output where its format can be (qcow2: qemu-img convert -c; vmdk streamOptimized always is). */
  compress?: boolean;
  /** The output's format (default: qcow2 when compressing, else the installed disk's). */
  outputFormat?: OutputFormat;
  /** The customized image (default `<workdir>/<name>-customized.<format>`). */
  output?: string;
  /** On failure keep the partial image (and say where) instead of deleting it. */
  keepFailed?: boolean;
  /** Limit for each remote step (default 30 min). */
  stepTimeoutMs?: number;
  /** Private key to log in with (default disk.buildKey, then answer.buildKey). */
  privateKey?: string;
  /** Boot a disk that has no boot loader (e.g. a bare root filesystem image) with this kernel. */
  kernel?: { kernel: string; initrd: string; append: string };
  /** Copy the guest's serial console to stderr. */
  console?: boolean;
  /** Host port forwarded to the guest's port 22 (default: a free one). */
  sshPort?: number;
}

const DEFAULT_STEP_TIMEOUT_MS = 30 * 60_000;

/**
 * The guest-customize stage: boots the installed disk (a copy of it, in the workdir), logs in
 * over SSH with the build key and applies the TDL in Oz's order — repositories, precommands,
 * packages, files, commands, removal of persisted=no repositories — then takes the package
 * inventory, seals the image, powers it off over ACPI and optionally compresses it.
 */
export async function customizeGuest(doc: BuildDocument, options: CustomizeOptions): Promise<BuildDocument> {
  const { logger, settings, signal } = options;
  const stepTimeoutMs = options.stepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS;
  const inputs = await readCustomizeInputs(doc, options);
  const { template, workdir } = inputs;
  const phases = new PhaseClock(logger);
  const outputFormat = options.outputFormat ?? settings.outputFormat;
  const image = await phases.run('image-copy', () =>
    copyInstalledDisk(inputs.disk, { workdir, name: template.name, output: options.output, compress: options.compress, outputFormat }, logger, signal),
  );

  const runDir = await mkdtemp(join(workdir, '.customize-run-'));
  const hostKeys = new HostKeyPin();
  let guest: WatchedGuest | undefined;
  let session: SshSession | undefined;
  let runner: GuestRunner | undefined;
  const steps: CustomizeStep[] = [];
  let succeeded = false;
  try {
    phases.enter('boot-to-sshd');
    const booted = await bootWorkingImage(inputs, image, runDir, hostKeys, options);
    ({ guest, session } = booted);
    runner = new GuestRunner(session, logger, { defaultTimeoutMs: stepTimeoutMs, logFile: join(workdir, 'customize.log'), signal });
    phases.enter('detect-guest');
    const os = await detectGuest(runner, template, logger);
    const run: TemplateRun = { session, runner, packageManager: os.packageManager, codename: os.release.versionCodename, logger, signal, steps, phases };
    await applyTemplate(run, inputs);
    phases.enter('inventory');
    const inventory = await takeInventory(run, template);
    phases.enter('seal');
    const cloud = await probeCloud(run, { targetCloud: options.targetCloud ?? settings.targetCloud, requireCloudInit: Boolean(options.requireCloudInit) });
    const seal = options.seal === false ? null : await sealImage(run, inputs.sealOperations, inputs.buildPublicKey, stepTimeoutMs, cloud);
    await runner.run('sync', 'sync', { quiet: true, timeoutMs: 120_000 });
    phases.enter('power-off');
    await runner.close();
    runner = undefined;
    await session.close();
    session = undefined;
    await powerOff(guest.vm, settings.timeoutShutdown, logger);
    guest = undefined;
    const finished = await phases.run(options.compress ? 'compression' : 'image-finish', () => finishImage(image, logger, signal));
    succeeded = true;
    const properties = imagePropertiesFor({ template, disk: inputs.disk, guest: os.release, inventory });
    logger.info(`upload to OpenStack with: ${openstackCreateCommand({ ...finished, properties }, template.name)}`);
    const customize: Customize = {
      image: { ...finished, properties },
      guest: {
        id: os.release.id,
        ...(os.release.versionId ? { versionId: os.release.versionId } : {}),
        ...(os.release.prettyName ? { prettyName: os.release.prettyName } : {}),
        packageManager: os.packageManager,
      },
      hostKey: hostKeys.key!,
      steps,
      inventory,
      seal,
      cloud,
      inputBytes: image.inputBytes,
      consoleLog: join(workdir, 'customize-console.log'),
      log: join(workdir, 'customize.log'),
    };
    return { ...doc, customize };
  } catch (error) {
    phases.end(false);
    const e = toOzkitError(error);
    // An interruption is not the guest's failure: no evidence, just the end.
    if (!guest || e.code === 'INTERRUPTED' || e.code === 'TERMINATED') throw e;
    throw await guest.failWith(e);
  } finally {
    await runner?.close().catch(() => undefined);
    await session?.close().catch(() => undefined);
    if (guest) await guest.kill().catch(() => undefined);
    await rm(runDir, { recursive: true, force: true });
    if (!succeeded) {
      if (options.keepFailed) logger.warn(`keeping the failed image for inspection: ${image.working}`);
      else await rm(image.working, { force: true });
    }
  }
}
