import { OzkitError } from '@ozkit/errors';
import { ProgressBar, formatBytes, type Logger } from '@ozkit/log';
import { QemuVm, type VmOptions } from '@ozkit/qemu';
import type { QmpEvent } from '@ozkit/qmp';
import type { WatchdogSample } from '@ozkit/build-document';
import { ActivityWatchdog } from './activity-watchdog.js';
import { installFailure, isPanicLine, panicHint, type FailureKind } from './install-failure.js';

export interface InstallRunOptions {
  vm: VmOptions;
  /** The completion marker the answer file writes to the serial console. */
  marker: string;
  /** A line the answer file writes when its own steps failed (ks-render's answer.failedMarker). */
  failedMarker?: string;
  /** A line the installer writes once it has read the answer file (answer.loadedMarker). */
  loadedMarker?: string;
  timeoutSeconds: number;
  inactivitySeconds: number;
  /** Where a failure screenshot goes (PNG). */
  screenshotPath: string;
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
  watchdog: WatchdogSample[];
}

/**
 * Boots the installer and watches it until it ends: power-off or reboot request (the end of
 * the run), total timeout, inactivity, a QEMU crash, or a guest panic. QEMU is always ended
 * before this returns or throws.
 */
export async function runInstallVm(options: InstallRunOptions): Promise<InstallRunResult> {
  const { logger, signal } = options;
  const started = Date.now();
  const elapsed = () => (Date.now() - started) / 1000;
  const vm = await QemuVm.start({ ...options.vm, noReboot: true, signal }, logger);
  const watchdog = new ActivityWatchdog({ inactivitySeconds: options.inactivitySeconds });
  const progress = new ProgressBar(logger, { label: 'install', unit: 'bytes' });
  let markerSeen = false;
  let panicLine: string | undefined;
  let failedLine: string | undefined;
  let shutdown: QmpEvent | undefined;
  let panicEvent: QmpEvent | undefined;
  let lastWrite = 0;
  vm.console.onLine((line) => {
    if (endsWithMarker(line, options.marker)) markerSeen = true;
    if (options.failedMarker && !failedLine && beginsWithMarker(line, options.failedMarker)) failedLine = line;
    if (options.loadedMarker && endsWithMarker(line, options.loadedMarker)) {
      logger.info(`the installer read the answer file (${Math.round(elapsed())} s)`);
      logger.event('answer-file-loaded', { seconds: Math.round(elapsed() * 10) / 10 });
    }
    if (!panicLine && isPanicLine(line)) panicLine = line;
    if (options.streamConsole) logger.passthrough(line + '\n');
  });
  vm.qmp.on('SHUTDOWN', (e: QmpEvent) => (shutdown ??= e));
  vm.qmp.on('GUEST_PANICKED', (e: QmpEvent) => (panicEvent ??= e));
  const qmpClosed = new Promise<void>((r) => (vm.qmp.closed ? r() : vm.qmp.once('close', () => r())));
  logger.info(`installing with QEMU (pid ${vm.pid}, ${options.vm.accel}, ${options.vm.cpus} CPU, ${options.vm.memoryMiB} MiB); console: ${options.vm.consoleLog}`);
  logger.event('install-started', { pid: vm.pid, accel: options.vm.accel, consoleLog: options.vm.consoleLog });

  const fail = async (kind: FailureKind, headline: string, hint?: string): Promise<never> => {
    const screenshots: string[] = [];
    let screenshotProblem: string | undefined;
    if (!vm.exitStatus) {
      try {
        screenshots.push(await vm.screendumpPng(options.screenshotPath));
      } catch (error) {
        screenshotProblem = (error as Error).message.split('\n')[0];
      }
    } else {
      screenshotProblem = 'QEMU had already exited';
    }
    await vm.kill();
    vm.removeRunFiles();
    progress.done();
    throw installFailure({
      kind,
      headline,
      seconds: elapsed(),
      consoleLog: options.vm.consoleLog,
      consoleTail: vm.console.tail(40),
      screenshots,
      screenshotProblem,
      watchdog: watchdog.recent(),
      hint,
    });
  };

  const onAbort = () => void vm.kill();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      const exitedNow = await Promise.race([vm.exited.then(() => true), sleep(options.sampleMs ?? 1000).then(() => false)]);
      if (signal.aborted) {
        await vm.kill();
        vm.removeRunFiles();
        progress.done();
        throw signal.reason;
      }
      if (exitedNow) break;
      try {
        const a = await vm.activity();
        watchdog.feed({ t: elapsed(), ...a });
        lastWrite = a.diskWriteBytes;
        progress.update(a.diskWriteBytes, vm.console.lastLine ?? '');
      } catch (error) {
        // QMP closes a moment before the process exit is reported: give the exit time to arrive.
        const exited = await Promise.race([vm.exited.then(() => true), sleep(3000).then(() => false)]);
        if (!exited) throw error;
        continue;
      }
      if (failedLine) {
        await fail('answer-failed', `the answer file reported a failure: ${failedLine}`, 'see the console lines below for the step that failed');
      }
      if (panicEvent || panicLine) {
        await fail(
          'panic',
          `the guest panicked: ${panicLine ?? `QMP GUEST_PANICKED ${JSON.stringify(panicEvent!.data)}`}`,
          (panicLine && panicHint(panicLine)) ?? 'see the console lines below; the installer kernel or the answer file is at fault',
        );
      }
      if (elapsed() >= options.timeoutSeconds) {
        await fail('timeout', `the install did not finish within ${options.timeoutSeconds} s (total timeout)`, 'raise it with --timeout or [timeouts] install if the install was still progressing');
      }
      if (watchdog.inactive) {
        await fail(
          'inactivity',
          `no disk activity and under 512 B/s of network traffic for ${Math.round(watchdog.idleSeconds())} s (inactivity limit ${options.inactivitySeconds} s)`,
          'the installer is probably waiting for input the answer file does not give; look at the screenshot. Raise the limit with --inactivity or [timeouts] inactivity',
        );
      }
    }
    // QEMU exited: wait for the socket to deliver the last events before deciding why.
    await Promise.race([qmpClosed, sleep(2000)]);
    const exit = vm.exitStatus!;
    await vm.waitForExit();
    vm.removeRunFiles();
    if (panicEvent || panicLine) await fail('panic', `the guest panicked: ${panicLine ?? 'QMP GUEST_PANICKED'}`, panicLine ? panicHint(panicLine) : undefined);
    if (failedLine) await fail('answer-failed', `the answer file reported a failure: ${failedLine}`, 'see the console lines below for the step that failed');
    const reason = shutdown?.data.reason as string | undefined;
    if (!shutdown || exit.code !== 0 || (reason !== 'guest-shutdown' && reason !== 'guest-reset' && reason !== 'guest-panic')) {
      const how = exit.signal
        ? `QEMU was killed by ${exit.signal}`
        : reason === 'host-signal'
          ? 'QEMU was ended by a signal from outside ozkit'
          : `QEMU exited with status ${exit.code}${reason ? ` (${reason})` : ''}`;
      const stderr = vm.stderr.trim().split('\n').filter(Boolean).slice(-3).join(' / ');
      await fail('crash', `${how}${stderr ? `: ${stderr}` : ''}`, 'QEMU itself stopped, not the guest; check for the OOM killer or something ending qemu processes');
    }
    const ending = reason === 'guest-reset' ? 'reboot' : 'poweroff';
    progress.done();
    logger.info(`installer ${ending === 'reboot' ? 'asked for a reboot' : 'powered the guest off'} after ${Math.round(elapsed())} s, ${formatBytes(lastWrite)} written`);
    return { ending, markerSeen, seconds: elapsed(), diskWriteBytes: lastWrite, watchdog: watchdog.recent() };
  } catch (error) {
    if (!vm.exitStatus) await vm.kill();
    progress.done();
    if (signal.aborted) throw signal.reason;
    if (error instanceof OzkitError) throw error;
    throw error;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/**
 * A marker counts when a line ends with it (what `echo MARKER > /dev/ttyS0` gives, even after
 * interleaved kernel output), not when an installer merely logs the command that would print it.
 */
export function endsWithMarker(line: string, marker: string): boolean {
  return line.trimEnd().endsWith(marker.trim());
}

/** The failure marker is followed by a reason; it must start a word (not follow a quote, as in a logged `echo '…'`). */
export function beginsWithMarker(line: string, marker: string): boolean {
  const at = line.indexOf(marker.trim());
  return at === 0 || (at > 0 && /[\s\]>]/.test(line[at - 1]));
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
