import type { ErrorCode, ExitCodeValue } from '@ozkit/errors';
import { FailureWithEvidence } from '@ozkit/build-document';

/** Why a run with a guest failed, in the words of the document's `failure.reason`. */
export type FailureReason =
  'timeout' | 'inactivity' | 'crash' | 'panic' | 'no-boot' | 'ssh-refused' | 'no-marker' | 'answer-failed' | 'step-failed' | 'interrupted' | 'error';

/** One reading of an activity watchdog (what `failure.watchdog` holds). */
export interface ActivitySample {
  t: number;
  diskWriteBytes: number;
  diskWriteOps: number;
  netBytes?: number;
}

/**
 * What a person needs to see why a guest failed, collected while it still ran. It travels as
 * the error's `evidence`, which the stage runner copies into the document's `failure`.
 */
export interface FailureEvidence {
  reason: FailureReason;
  /** The serial console file, when it is kept after the run. */
  consoleLog?: string;
  /** The last console lines (at most 40). */
  consoleTail: string[];
  /** PNG screenshots taken before the guest was ended. */
  screenshots: string[];
  /** Why there is no screenshot, when there is none. */
  screenshotProblem?: string;
  /** The watchdog's last samples (an install run). */
  watchdog?: ActivitySample[];
  /** Seconds from the guest's start to the failure. */
  seconds?: number;
  /** A failed install's disk: where it was kept, or null when it was deleted. */
  disk?: string | null;
}

/** A FailureWithEvidence from a guest: runStage copies its evidence into the document's `failure`. */
export class GuestFailure extends FailureWithEvidence {
  declare readonly evidence: FailureEvidence;

  constructor(
    code: ErrorCode,
    message: string,
    evidence: FailureEvidence,
    options: { hint?: string; exitCode?: ExitCodeValue; cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(code, message, evidence, {
      ...(options.hint !== undefined ? { hint: options.hint } : {}),
      ...(options.exitCode !== undefined ? { exitCode: options.exitCode } : {}),
      ...(options.cause !== undefined ? { cause: options.cause } : {}),
      ...(options.details !== undefined ? { details: options.details } : {}),
    });
  }
}

/** The reason a failure code stands for, when the caller does not say. */
export function reasonFor(code: string): FailureReason {
  switch (code) {
    case 'TIMEOUT':
      return 'timeout';
    case 'INACTIVITY':
      return 'inactivity';
    case 'QEMU_CRASHED':
      return 'crash';
    case 'GUEST_PANIC':
      return 'panic';
    case 'COMMAND_FAILED':
      return 'step-failed';
    case 'INTERRUPTED':
    case 'TERMINATED':
      return 'interrupted';
    default:
      return 'error';
  }
}

/** Lines shown under a message: the last console lines (non-empty) and the screenshots. */
export function formatEvidence(evidence: FailureEvidence, shownLines = 12): string[] {
  const shown = evidence.consoleTail.filter((l) => l.trim() !== '').slice(-shownLines);
  const where = evidence.consoleLog ? ` (${evidence.consoleLog})` : '';
  const lines = shown.length ? [`console tail${where}:`, ...shown.map((l) => `  | ${l}`)] : [`the console${where} is empty`];
  if (evidence.screenshots.length) lines.push(`screenshot: ${evidence.screenshots.join(', ')}`);
  return lines;
}
