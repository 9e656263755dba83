import type { OzkitError } from '@ozkit/errors';
import type { Logger } from '@ozkit/log';
import { bootTroubleIn, panicEvidenceLines, type BootTrouble } from './boot-trouble.js';
import { GuestFailure, formatEvidence, reasonFor, type FailureEvidence, type FailureReason } from './failure-evidence.js';
import { defaultBackend } from './select-backend.js';
import type { GuestDescription, RunningGuest, VmBackend } from './vm-backend.js';

export interface StartGuestOptions {
  guest: GuestDescription;
  /** Default: the one backend this host uses (`defaultBackend()`). */
  backend?: VmBackend;
  logger: Logger;
  /** Failure screenshots go to `<prefix>-<time>.png`; without a prefix none are taken. */
  screenshotPrefix?: string;
  /** The console file stays after the run, so failure reports name it. Default true. */
  consoleKept?: boolean;
  /** Each console line as it arrives (`--console`). */
  onConsoleLine?: (line: string) => void;
  /** Called once the guest runs (e.g. to say where its SSH port is). */
  onStarted?: (guest: WatchedGuest) => void;
}

/** Console lines kept in failure evidence. */
const EVIDENCE_LINES = 40;

/**
 * A started guest watched for what ends every boot the same way: a kernel panic or a disk that
 * does not boot (console text or the hypervisor's panic event). Collects the failure evidence
 * (screenshot while it still runs, console tail) for whatever the caller decides is a failure.
 */
export class WatchedGuest {
  readonly vm: RunningGuest;
  readonly startedAt = Date.now();
  private readonly options: StartGuestOptions;
  private consoleTrouble: BootTrouble | undefined;
  private panicEvent: BootTrouble | undefined;

  constructor(vm: RunningGuest, options: StartGuestOptions) {
    this.vm = vm;
    this.options = options;
    vm.console.onLine((line) => {
      this.consoleTrouble ??= bootTroubleIn(line);
      options.onConsoleLine?.(line);
    });
    vm.onEvent((event) => {
      if (event.type === 'panic') this.panicEvent ??= { kind: 'panic', line: event.detail };
    });
  }

  /** The first panic or boot failure seen: a console line (it says more) before the hypervisor's event. */
  get trouble(): BootTrouble | undefined {
    return this.consoleTrouble ?? this.panicEvent;
  }

  /** The console line of a panic/boot failure (not the hypervisor's event). */
  get troubleLine(): BootTrouble | undefined {
    return this.consoleTrouble;
  }

  get seconds(): number {
    return (Date.now() - this.startedAt) / 1000;
  }

  /** Screenshot (if the guest still runs) and the console tail, as they are now. Does not end the guest. */
  async collectEvidence(reason: FailureReason): Promise<FailureEvidence> {
    const screenshots: string[] = [];
    let screenshotProblem: string | undefined;
    if (!this.options.screenshotPrefix) screenshotProblem = 'no screenshot directory';
    else if (this.vm.exitStatus) screenshotProblem = `${this.vm.hypervisor} had already exited`;
    else {
      try {
        const png = `${this.options.screenshotPrefix}-${new Date().toISOString().replace(/[:.]/g, '-')}.png`;
        screenshots.push(await this.vm.screenshot(png));
      } catch (error) {
        screenshotProblem = (error as Error).message.split('\n')[0];
        this.options.logger.debug(`no screenshot: ${screenshotProblem}`);
      }
    }
    await this.vm.console.poll().catch(() => undefined);
    return {
      reason,
      ...(this.options.consoleKept !== false ? { consoleLog: this.vm.console.path } : {}),
      consoleTail: reason === 'panic' ? panicEvidenceLines(this.vm.console.tail(500)) : this.vm.console.tail(EVIDENCE_LINES),
      screenshots,
      ...(screenshots.length === 0 && screenshotProblem ? { screenshotProblem } : {}),
      seconds: Math.round(this.seconds * 10) / 10,
    };
  }

  /**
   * `error` with the evidence added: the console tail and screenshot under its message, the
   * same facts as its `evidence`. The guest is left running (end it after).
   */
  async failWith(error: OzkitError, reason: FailureReason = reasonFor(error.code)): Promise<GuestFailure> {
    if (error instanceof GuestFailure) return error;
    const evidence = await this.collectEvidence(reason);
    return new GuestFailure(error.code, [error.message, ...formatEvidence(evidence)].join('\n'), evidence, {
      ...(error.hint !== undefined ? { hint: error.hint } : {}),
      exitCode: error.exitCode,
      cause: error,
      ...(error.details ? { details: error.details } : {}),
    });
  }

  /** Ends the guest now. */
  kill(): Promise<void> {
    return this.vm.kill();
  }
}

/** Starts a guest and watches it (see WatchedGuest). On failure nothing is left running. */
export async function startGuest(options: StartGuestOptions): Promise<WatchedGuest> {
  const backend = options.backend ?? defaultBackend();
  const vm = await backend.start(options.guest, options.logger);
  const guest = new WatchedGuest(vm, options);
  options.onStarted?.(guest);
  return guest;
}
