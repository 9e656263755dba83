import { mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { OzkitError, toOzkitError } from '@ozkit/errors';
import type { BuildDocument, Customize, CustomizeStep, ImageFormat, TemplateCommand } from '@ozkit/build-document';
import { FailureWithEvidence, requireKey } from '@ozkit/build-document';
import type { Settings } from '@ozkit/config';
import { cacheArea, safeName } from '@ozkit/config';
import type { Logger } from '@ozkit/log';
import { collectInventory, inventoryFormatFor } from '@ozkit/inventory';
import { QemuVm, findFreePort } from '@ozkit/qemu';
import { HostKeyPin, loadPrivateKey, waitForSsh, type SshSession } from '@ozkit/ssh';
import { GUEST_PROBE_COMMAND, detectGuestOs, familyMatches, type GuestOs } from './guest-os.js';
import { GuestRunner } from './guest-runner.js';
import { allocatedBytes, compressImage, makeWorkingCopy, partialPath } from './image-output.js';
import { PACKAGE_FILE_DIR, planPackageTransaction } from './package-transaction.js';
import { planRepositories, removalCommand } from './repository-plan.js';
import { NOT_APPLICABLE_EXIT, selectSealOperations } from './seal-operations.js';
import { shellQuote } from './shell-quote.js';
import { fetchUrl, resolveContent } from './template-content.js';

export type CustomizeSettings = Pick<Settings, 'timeoutBoot' | 'timeoutShutdown' | 'cpus' | 'memoryMiB' | 'accel' | 'cacheDir' | 'offline'>;

export interface CustomizeOptions {
  settings: CustomizeSettings;
  logger: Logger;
  signal?: AbortSignal;
  /** Seal the image (default true). */
  seal?: boolean;
  /** Seal operations to run (default all), see SEAL_OPERATION_NAMES. */
  sealOps?: string[];
  /** Write a compressed qcow2 (qemu-img convert -c). */
  compress?: boolean;
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
const SCRIPT_DIR = '/var/tmp/ozkit-customize';

interface PreparedScript {
  label: string;
  step: 'precommands' | 'commands';
  name: string;
  data: Buffer;
}

/**
 * The guest-customize stage: boots the installed disk (a copy of it, in the workdir), logs in
 * over SSH with the build key and applies the TDL in Oz's order — repositories, precommands,
 * packages, files, commands, removal of persisted=no repositories — then takes the package
 * inventory, seals the image, powers it off over ACPI and optionally compresses it.
 */
export async function customizeGuest(doc: BuildDocument, options: CustomizeOptions): Promise<BuildDocument> {
  const { logger, settings, signal } = options;
  const template = requireKey(doc, 'template', 'tdl-validate');
  const disk = requireKey(doc, 'disk', 'guest-install');
  const workdir = requireKey(doc, 'workdir', 'tdl-validate');
  if (doc.answer?.sshd === false)
    throw new OzkitError('BAD_ANSWER_FILE', `the answer file ${doc.answer.path} leaves the installed system without sshd, so guest-customize cannot log in`, {
      hint: 'install and enable openssh-server in the answer file (ks-render\'s default answer files do)',
    });
  const keyPath = options.privateKey ?? disk.buildKey.privateKey;
  const publicKeyPath = options.privateKey ? `${options.privateKey}.pub` : disk.buildKey.publicKey;
  const privateKey = await loadPrivateKey(keyPath);
  const seal = options.seal ?? true;
  const sealOperations = seal ? selectSealOperations(options.sealOps) : [];
  const buildPublicKey = seal ? await readPublicKey(publicKeyPath) : '';
  const stepTimeoutMs = options.stepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS;

  // Everything that can be wrong with the template is found before a VM boots.
  const fetchOptions = { cacheDir: cacheArea(settings, 'customize-downloads'), offline: settings.offline, signal };
  const scripts: PreparedScript[] = [];
  const prepare = async (step: 'precommands' | 'commands', list: TemplateCommand[]) => {
    for (const [i, command] of list.entries()) {
      const label = `${step === 'precommands' ? 'precommand' : 'command'} ${command.position ?? i + 1} (${command.name})`;
      scripts.push({ label, step, name: command.name, data: await resolveContent({ label, type: command.type, content: command.content }, fetchOptions) });
    }
  };
  await prepare('precommands', template.precommands);
  await prepare('commands', template.commands);
  const files: { path: string; data: Buffer }[] = [];
  for (const file of template.files) {
    const label = `file ${file.name}`;
    if (!file.name.startsWith('/')) throw new OzkitError('BAD_TDL', `${label}: the file name must be an absolute path in the guest`);
    files.push({ path: file.name, data: await resolveContent({ label, type: file.type, content: file.content }, fetchOptions) });
  }
  // Repository references of packages are checked now; the command itself needs the guest's package manager.
  planPackageTransaction(template.packages, 'dnf', planRepositories(template.repositories, 'dnf', { files: template.files }).repositories);

  // A raw disk that ends up compressed is customized as qcow2 already, so the name fits throughout.
  const format: ImageFormat = options.compress ? 'qcow2' : disk.format;
  const ext = format === 'raw' ? 'raw' : 'qcow2';
  const output = resolve(options.output ?? join(workdir, `${safeName(template.name)}-customized.${ext}`));
  const working = partialPath(output);
  const inputBytes = await allocatedBytes(disk.path).catch(() => {
    throw new OzkitError('INPUT_MISSING', `${disk.path}: the installed disk is missing`, { hint: 'run guest-install again' });
  });
  logger.info(`copying ${disk.path} to ${working}`);
  await makeWorkingCopy({ path: disk.path, format: disk.format }, working, format, signal);

  const runDir = await mkdtemp(join(workdir, '.customize-run-'));
  const consoleLog = join(workdir, 'customize-console.log');
  const hostKeys = new HostKeyPin();
  let vm: QemuVm | undefined;
  let session: SshSession | undefined;
  let runner: GuestRunner | undefined;
  let succeeded = false;
  const steps: CustomizeStep[] = [];
  try {
    const port = options.sshPort ?? (await findFreePort());
    const accel = settings.accel === 'auto' ? disk.accel : settings.accel;
    logger.info(`booting ${working} (${accel}, ${settings.cpus} cpu, ${settings.memoryMiB} MiB), guest ssh on 127.0.0.1:${port}`);
    vm = await QemuVm.start(
      {
        arch: template.os.arch,
        accel,
        cpus: settings.cpus,
        memoryMiB: settings.memoryMiB,
        disks: [{ path: working, format, bus: disk.bus, discard: true }],
        ...(options.kernel ? { kernel: options.kernel } : { boot: 'disk' as const }),
        hostForwards: [{ hostPort: port, guestPort: 22 }],
        runDir,
        consoleLog,
        captureNetStats: false,
        signal,
      },
      logger,
    );
    const theVm = vm;
    if (options.console) theVm.console.onLine((line) => logger.info(`console: ${line}`));

    const bootStarted = Date.now();
    let lastReport = bootStarted;
    try {
      session = await waitForSsh({
        host: '127.0.0.1',
        port,
        privateKey,
        hostKeys,
        timeoutMs: settings.timeoutBoot * 1000,
        signal,
        handshakeTimeoutMs: 15_000,
        onAttempt: (n, e) => {
          logger.debug(`ssh attempt ${n}: ${e.message}`);
          // A boot under TCG takes minutes: say now and then what the guest is doing.
          if (Date.now() - lastReport >= 30_000) {
            lastReport = Date.now();
            const last = theVm.console.lastLine?.trim();
            logger.info(`waiting for SSH (${Math.round((Date.now() - bootStarted) / 1000)} s)${last ? `; console: ${last.slice(0, 120)}` : ''}`);
          }
        },
        stopIf: () => {
          if (theVm.exitStatus) return new OzkitError('QEMU_CRASHED', `the VM ended before SSH answered (${theVm.exitStatus.signal ?? `exit ${theVm.exitStatus.code}`})`, { details: { stderr: theVm.stderr } });
          const panic = theVm.console.tail(60).find((l) => /Kernel panic|end Kernel panic|grub rescue>|No bootable device|Boot failed/.test(l));
          if (panic) return new OzkitError('GUEST_PANIC', `the guest failed to boot: ${panic.trim()}`);
          return undefined;
        },
      });
    } catch (error) {
      const e = toOzkitError(error);
      if (e.code === 'TIMEOUT')
        throw new OzkitError('TIMEOUT', `the guest's sshd did not answer within ${settings.timeoutBoot} s of boot (${e.message})`, {
          hint: 'the console tail below shows how far the guest got; raise --timeout-boot if it is merely slow (TCG is)',
          details: e.details,
        });
      throw e;
    }
    logger.info(`ssh up after ${((Date.now() - bootStarted) / 1000).toFixed(0)} s; host key ${session.hostKey.type} ${session.hostKey.sha256}`);
    runner = new GuestRunner(session, logger, { defaultTimeoutMs: stepTimeoutMs, logFile: join(workdir, 'customize.log'), signal });
    const run = runner;

    const probe = await run.run('detect guest', GUEST_PROBE_COMMAND, { captureStdout: true, quiet: true, timeoutMs: 60_000 });
    const guest: GuestOs = detectGuestOs(probe.stdout);
    logger.info(`guest: ${guest.release.prettyName ?? guest.release.id} (${guest.packageManager})`);
    if (!familyMatches(template.os.name, guest.release))
      logger.warn(`the TDL says ${template.os.name} ${template.os.version}, the guest says ${guest.release.prettyName ?? guest.release.id}: following the guest`);
    const pm = guest.packageManager;
    const timed = async (step: CustomizeStep['step'], name: string, body: () => Promise<number | undefined>) => {
      const started = Date.now();
      logger.event('step', { step, name });
      const exitCode = await body();
      steps.push({ step, name, seconds: Math.round((Date.now() - started) / 100) / 10, ...(exitCode !== undefined ? { exitCode } : {}) });
    };

    // 1. repositories
    const repoSetup = planRepositories(template.repositories, pm, { codename: guest.release.versionCodename, files: template.files });
    const uploadedKeyFiles = new Set<string>();
    for (const repo of repoSetup.repositories) {
      await timed('repositories', repo.name, async () => {
        logger.info(`repository ${repo.name}`);
        for (const f of repo.files) await session!.upload(f.content, f.path, { mode: f.mode, signal });
        if (repo.keyFile) {
          const key = files.find((f) => f.path === repo.keyFile)!;
          await session!.upload(key.data, key.path, { mode: 0o644, signal });
          uploadedKeyFiles.add(key.path);
        }
        return undefined;
      });
    }
    let metadataFresh = false;
    if (repoSetup.repositories.length > 0) {
      await timed('repositories', 'refresh', async () => (await run.run('repositories (metadata refresh)', repoSetup.refresh)).exitCode ?? undefined);
      metadataFresh = true;
    }

    // 2. precommands, 4. … commands: uploaded as scripts so a shebang line is honoured.
    const runScripts = async (step: 'precommands' | 'commands') => {
      for (const [i, script] of scripts.filter((s) => s.step === step).entries()) {
        await timed(step, script.name, async () => {
          const path = `${SCRIPT_DIR}/${step}-${i + 1}`;
          await session!.upload(script.data, path, { mode: 0o700, signal });
          const shebang = script.data.subarray(0, 2).toString() === '#!';
          const result = await run.run(script.label, shebang ? shellQuote(path) : `"\${SHELL:-/bin/sh}" ${shellQuote(path)}`);
          return result.exitCode ?? undefined;
        });
      }
    };
    await runScripts('precommands');

    // 3. packages, one transaction
    const transaction = planPackageTransaction(template.packages, pm, repoSetup.repositories);
    if (transaction) {
      await timed('packages', (template.packages).map((p) => p.name).join(' '), async () => {
        for (const upload of transaction.uploads) {
          const data = await fetchUrl(upload.url, `package file ${upload.url}`, fetchOptions);
          await session!.upload(data, upload.guestPath, { mode: 0o644, signal });
        }
        if (pm === 'apt' && !metadataFresh) await run.run('packages (apt-get update)', 'DEBIAN_FRONTEND=noninteractive apt-get update -o APT::Update::Error-Mode=any');
        const result = await run.run('packages', transaction.command);
        if (transaction.uploads.length) await run.run('packages (clean up)', `rm -rf ${PACKAGE_FILE_DIR}`);
        return result.exitCode ?? undefined;
      });
    }

    // 4. files
    for (const file of files) {
      if (uploadedKeyFiles.has(file.path)) continue;
      await timed('files', file.path, async () => {
        await session!.upload(file.data, file.path, { mode: 0o644, signal });
        return undefined;
      });
    }

    // 5. commands
    await runScripts('commands');
    if (scripts.length) await run.run('clean up scripts', `rm -rf ${SCRIPT_DIR}`);

    // 6. persisted=no repositories
    const removal = removalCommand(pm, repoSetup.repositories);
    if (removal) await timed('remove-repositories', repoSetup.repositories.filter((r) => !r.persisted).map((r) => r.name).join(' '), async () => (await run.run('remove repositories (persisted=no)', removal)).exitCode ?? undefined);

    // inventory, before sealing (sealing removes package caches, not packages)
    const guestCommand = async (command: string) => {
      const r = await run.run('inventory', command, { captureStdout: true, quiet: true, okExitCodes: [...Array(256).keys()] });
      return { stdout: r.stdout, stderr: r.tail.join('\n'), exitCode: r.exitCode };
    };
    const extraCommand = template.os.icicle?.extraCommand;
    const inventory = await collectInventory(guestCommand, { format: inventoryFormatFor(pm), ...(extraCommand ? { extraCommand } : {}) });
    logger.info(`inventory: ${inventory.packages.length} packages`);

    // sealing
    const sealReport: Customize['seal'] = seal ? { operations: [] } : null;
    for (const op of sealOperations) {
      const result = await run.run(`seal ${op.op}`, op.script({ packageManager: pm, buildPublicKey }), {
        captureStdout: true,
        quiet: true,
        timeoutMs: Math.min(stepTimeoutMs, 10 * 60_000),
        okExitCodes: [0, NOT_APPLICABLE_EXIT],
      });
      const detail = result.stdout.trim().split('\n').filter(Boolean).pop();
      sealReport!.operations.push({ op: op.op, done: result.exitCode === 0, ...(detail ? { detail } : {}) });
      logger.info(`seal ${op.op}: ${result.exitCode === 0 ? detail ?? 'done' : `skipped (${detail ?? 'not applicable'})`}`);
    }
    await run.run('sync', 'sync', { quiet: true, timeoutMs: 120_000 });
    await runner.close();
    runner = undefined;
    await session.close();
    session = undefined;

    logger.info(`powering off (ACPI), waiting up to ${settings.timeoutShutdown} s`);
    const clean = await vm.powerdown(settings.timeoutShutdown * 1000);
    if (!clean)
      throw new OzkitError('TIMEOUT', `the guest did not power off within ${settings.timeoutShutdown} s of an ACPI power-button press; QEMU was killed`, {
        hint: 'the guest needs something handling the power button (systemd-logind or acpid); the image may not be consistent',
      });
    vm.removeRunFiles();
    vm = undefined;

    await rename(working, output);
    const bytesBefore = await allocatedBytes(output);
    let finalFormat = format;
    if (options.compress) {
      logger.info(`compressing ${output}`);
      await compressImage(output, format, signal);
      finalFormat = 'qcow2';
    }
    const bytesAfter = await allocatedBytes(output);
    succeeded = true;
    const customize: Customize = {
      image: { path: output, format: finalFormat, bytesBefore, bytesAfter, compressed: Boolean(options.compress) },
      guest: {
        id: guest.release.id,
        ...(guest.release.versionId ? { versionId: guest.release.versionId } : {}),
        ...(guest.release.prettyName ? { prettyName: guest.release.prettyName } : {}),
        packageManager: pm,
      },
      hostKey: hostKeys.key!,
      steps,
      inventory,
      seal: sealReport,
      inputBytes,
      consoleLog,
      log: join(workdir, 'customize.log'),
    };
    logger.info(`customized image: ${output} (${formatMiB(bytesAfter)}${options.compress ? `, ${formatMiB(bytesBefore)} before compression` : ''})`);
    return { ...doc, customize };
  } catch (error) {
    throw await failureWithEvidence(toOzkitError(error), { vm, workdir, logger });
  } finally {
    await runner?.close().catch(() => undefined);
    await session?.close().catch(() => undefined);
    if (vm) await vm.kill().catch(() => undefined);
    await rm(runDir, { recursive: true, force: true });
    if (!succeeded) {
      if (options.keepFailed) logger.warn(`keeping the failed image for inspection: ${working}`);
      else await rm(working, { force: true });
    }
  }
}

/** Adds the console tail and a screenshot (taken while the VM still runs) to a failure. */
async function failureWithEvidence(error: OzkitError, context: { vm: QemuVm | undefined; workdir: string; logger: Logger }): Promise<OzkitError> {
  const { vm } = context;
  if (!vm || error.code === 'INTERRUPTED' || error.code === 'TERMINATED') return error;
  const screenshots: string[] = [];
  if (!vm.exitStatus) {
    try {
      const png = join(context.workdir, `customize-failure-${new Date().toISOString().replace(/[:.]/g, '-')}.png`);
      screenshots.push(await vm.screendumpPng(png));
    } catch (shotError) {
      context.logger.debug(`no screenshot: ${(shotError as Error).message}`);
    }
  }
  await vm.console.poll().catch(() => undefined);
  const consoleTail = vm.console.tail(40);
  const shown = consoleTail.filter((l) => l.trim() !== '').slice(-12);
  const message =
    error.message +
    (shown.length ? `\nconsole tail (${vm.options.consoleLog}):\n${shown.map((l) => `  | ${l}`).join('\n')}` : `\nthe console (${vm.options.consoleLog}) is empty`) +
    (screenshots.length ? `\nscreenshot: ${screenshots.join(', ')}` : '');
  return new FailureWithEvidence(error.code, message, { consoleTail, screenshots }, {
    hint: error.hint,
    exitCode: error.exitCode,
    cause: error,
    details: error.details,
  });
}

async function readPublicKey(path: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (error) {
    throw new OzkitError('INPUT_MISSING', `${path}: cannot read the build public key (needed to remove it when sealing): ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

function formatMiB(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}
