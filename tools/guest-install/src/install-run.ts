import { PhaseClock, ProgressBar, formatBytes, type Logger } from '@ozkit/log';
import { startGuest, type GuestDescription, type VmBackend, type WatchedGuest } from '@ozkit/vm';
import type { WatchdogSample } from '@ozkit/build-document';
import { ActivityWatchdog } from './activity-watchdog.js';
import { installFailure, type FailureKind } from './install-failure.js';
import { ConsoleMarkers, type MarkerTexts } from './install-markers.js';

export interface InstallRunOptions extends MarkerTexts {
  /** The installer guest; its reboot request ends the run, its network bytes are counted. */
  guest: GuestDescription;
  /** What runs it (QEMU direct or libvirt, from the settings). Default QEMU direct. */
  backend?: VmBackend;
  timeoutSeconds: number;
  inactivitySeconds: number;
  /** Failure screenshots go to `<prefix>-<time>.png`. */
  screenshotPrefix: string;
  /** Stream the console to stderr. */
  streamConsole?: boolean;
  /** How often the watchdog samples, ms. Default 1000. */
  sampleMs?: number;
  logger: Logger;
  signal: AbortSignal;
}

export interface InstallRunResult {
  /** How the installer run ended: the guest powered off, or asked for a reboot. */
  ending: 'poweroff' | 'reboot';
  markerSeen: boolean;
  seconds: number;
  diskWriteBytes: number;
  /** The accelerator the installer really ran under (TCG when KVM could not start the guest). */
  accel: 'kvm' | 'tcg';
  watchdog: WatchdogSample[];
}

/** One installer run being watched: the guest, what its console said, the activity readings. */
interface InstallWatch {
  guest: WatchedGuest;
  markers: ConsoleMarkers;
  watchdog: ActivityWatchdog;
  progress: ProgressBar;
  options: InstallRunOptions;
  elapsed: () => number;
  lastWrite: number;
}

/**
 * Boots the installer and watches it until it ends: power-off or reboot request (the end of
 * the run), total timeout, inactivity, a hypervisor crash, or a guest panic. The guest is
 * always ended before this returns or throws.
 */
export async function runInstallVm(options: InstallRunOptions): Promise<InstallRunResult> {
  const phases = new PhaseClock(options.logger);
  // Without a loaded marker from the answer file, the first phase runs until the completion marker.
  phases.enter('boot-to-answer');
  try {
    const result = await watchInstallVm(options, phases);
    phases.end(true);
    return result;
  } catch (error) {
    phases.end(false);
    throw error;
  }
}

async function watchInstallVm(options: InstallRunOptions, phases: PhaseClock): Promise<InstallRunResult> {
  const { logger, signal } = options;
  const started = Date.now();
  const elapsed = () => (Date.now() - started) / 1000;
  const markers = new ConsoleMarkers(options, logger, elapsed, phases);
  const guest = await startGuest({
    ...(options.backend ? { backend: options.backend } : {}),
    guest: { ...options.guest, rebootEndsGuest: true, network: options.guest.network === false ? false : { ...options.guest.network, countBytes: true }, signal },
    screenshotPrefix: options.screenshotPrefix,
    onConsoleLine: (line) => {
      markers.read(line);
      if (options.streamConsole) logger.passthrough(line + '\n');
    },
    logger,
  });
  const watch: InstallWatch = {
    guest,
    markers,
    watchdog: new ActivityWatchdog({ inactivitySeconds: options.inactivitySeconds }),
    progress: new ProgressBar(logger, { label: 'installing', unit: 'bytes', verb: 'written', statusLabel: 'console' }),
    options,
    elapsed,
    lastWrite: 0,
  };
  const { cpus, memoryMiB, consoleLog } = options.guest;
  const accel = guest.vm.description.accel;
  logger.info(`installing with ${guest.vm.label} (${accel}, ${cpus} CPU, ${memoryMiB} MiB); console: ${consoleLog}`);
  logger.event('install-started', { guest: guest.vm.label, accel, consoleLog });
  try {
    await watchUntilExit(watch);
    return await judgeEnding(watch);
  } catch (error) {
    if (!guest.vm.exitStatus) await guest.kill();
    watch.progress.done();
    if (signal.aborted) throw signal.reason;
    throw error;
  }
}

/** Samples the guest every second until it exits; throws at the first failure it sees. */
async function watchUntilExit(watch: InstallWatch): Promise<void> {
  const { guest, options, watchdog } = watch;
  for (;;) {
    const exitedNow = await Promise.race([guest.vm.exited.then(() => true), sleep(options.sampleMs ?? 1000).then(() => false)]);
    if (options.signal.aborted) {
      await guest.kill();
      watch.progress.done();
      throw options.signal.reason;
    }
    if (exitedNow) return;
    try {
      const stats = await guest.vm.stats();
      watchdog.feed({ t: watch.elapsed(), ...stats });
      watch.lastWrite = stats.diskWriteBytes;
      watch.progress.update(stats.diskWriteBytes, guest.vm.console.lastLine ?? '');
    } catch (error) {
      // The control socket closes a moment before the process exit is reported: give the exit time to arrive.
      const exited = await Promise.race([guest.vm.exited.then(() => true), sleep(3000).then(() => false)]);
      if (!exited) throw error;
      continue;
    }
    await failOnConsoleTrouble(watch);
    if (watch.elapsed() >= options.timeoutSeconds) {
      await fail(
        watch,
        'timeout',
        `the install did not finish within ${options.timeoutSeconds} s (total timeout)`,
        'raise it with --timeout or [timeouts] install if the install was still progressing',
      );
    }
    if (watchdog.inactive) {
      await fail(
        watch,
        'inactivity',
        `no disk activity and under 512 B/s of network traffic for ${Math.round(watchdog.idleSeconds())} s (inactivity limit ${options.inactivitySeconds} s)`,
        'the installer is probably waiting for input the answer file does not give; look at the screenshot. Raise the limit with --inactivity or [timeouts] inactivity',
      );
    }
  }
}

/**
 * The answer file's failure marker, a panic or an unbootable disk: the run is over. While the
 * guest runs the marker is checked first; after it exited the panic (the likelier cause).
 */
async function failOnConsoleTrouble(watch: InstallWatch, first: 'answer' | 'panic' = 'answer'): Promise<void> {
  const checks = [() => failOnAnswerMarker(watch), () => failOnBootTrouble(watch)];
  for (const check of first === 'answer' ? checks : checks.reverse()) await check();
}

async function failOnAnswerMarker(watch: InstallWatch): Promise<void> {
  const line = watch.markers.failedLine;
  if (line) await fail(watch, 'answer-failed', `the answer file reported a failure: ${line}`, 'see the console lines below for the step that failed');
}

async function failOnBootTrouble(watch: InstallWatch): Promise<void> {
  const trouble = watch.guest.trouble;
  if (!trouble) return;
  const what = trouble.kind === 'panic' ? 'the guest panicked' : 'the guest found nothing to boot';
  await fail(watch, trouble.kind, `${what}: ${trouble.line}`, trouble.hint ?? 'see the console lines below; the installer kernel or the answer file is at fault');
}

/** The guest has exited: a clean end (power-off or reboot request), or why not. */
async function judgeEnding(watch: InstallWatch): Promise<InstallRunResult> {
  const { guest } = watch;
  const exit = await guest.vm.waitForExit();
  await failOnConsoleTrouble(watch, 'panic');
  const shutdown = guest.vm.lastShutdown;
  const clean = shutdown && exit.code === 0 && ['guest-poweroff', 'guest-reset', 'guest-panic'].includes(shutdown.reason);
  if (!clean) {
    const hypervisor = guest.vm.hypervisor;
    const how = exit.signal
      ? `${hypervisor} was killed by ${exit.signal}`
      : shutdown?.reason === 'host-signal'
        ? `${hypervisor} was ended by a signal from outside ozkit`
        : `${hypervisor} exited with status ${exit.code}${shutdown?.detail ? ` (${shutdown.detail})` : ''}`;
    const output = guest.vm.hypervisorOutput.trim().split('\n').filter(Boolean).slice(-3).join(' / ');
    await fail(
      watch,
      'crash',
      `${how}${output ? `: ${output}` : ''}`,
      `${hypervisor} itself stopped, not the guest; check for the OOM killer or something ending qemu processes`,
    );
  }
  const ending = shutdown!.reason === 'guest-reset' ? 'reboot' : 'poweroff';
  watch.progress.done();
  watch.options.logger.info(
    `installer ${ending === 'reboot' ? 'asked for a reboot' : 'powered the guest off'} after ${Math.round(watch.elapsed())} s, ${formatBytes(watch.lastWrite)} written`,
  );
  return {
    ending,
    markerSeen: watch.markers.markerSeen,
    seconds: watch.elapsed(),
    diskWriteBytes: watch.lastWrite,
    accel: watch.guest.vm.description.accel,
    watchdog: watch.watchdog.recent(),
  };
}

/** Takes the evidence (screenshot while the guest runs, console tail), ends the guest, throws the install failure. */
async function fail(watch: InstallWatch, kind: FailureKind, headline: string, hint?: string): Promise<never> {
  const evidence = await watch.guest.collectEvidence(kind);
  await watch.guest.kill();
  watch.progress.done();
  throw installFailure({
    kind,
    headline,
    seconds: watch.elapsed(),
    consoleLog: watch.options.guest.consoleLog,
    consoleTail: evidence.consoleTail,
    screenshots: evidence.screenshots,
    ...(evidence.screenshotProblem ? { screenshotProblem: evidence.screenshotProblem } : {}),
    watchdog: watch.watchdog.recent(),
    ...(hint ? { hint } : {}),
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
