import type { ErrorCode } from '@ozkit/errors';
import { GuestFailure, type FailureEvidence } from '@ozkit/vm';
import type { WatchdogSample } from '@ozkit/build-document';
import { formatBytes } from '@ozkit/log';

export type FailureKind = 'timeout' | 'inactivity' | 'crash' | 'panic' | 'no-boot' | 'no-marker' | 'answer-failed' | 'interrupted';

export interface FailureFacts {
  kind: FailureKind;
  /** One line saying what happened, e.g. "no disk or network activity for 300 s". */
  headline: string;
  seconds: number;
  consoleLog: string;
  consoleTail: string[];
  screenshots: string[];
  /** Why no screenshot could be taken, if none was. */
  screenshotProblem?: string;
  watchdog: WatchdogSample[];
  /** Where the partial disk went (kept) or that it was deleted. */
  diskNote?: string;
  hint?: string;
}

const codeFor: Record<FailureKind, ErrorCode> = {
  timeout: 'TIMEOUT',
  inactivity: 'INACTIVITY',
  crash: 'QEMU_CRASHED',
  panic: 'GUEST_PANIC',
  'no-boot': 'GUEST_PANIC',
  'no-marker': 'INSTALL_FAILED',
  'answer-failed': 'INSTALL_FAILED',
  interrupted: 'INTERRUPTED',
};

/** Compact watchdog lines: time, disk bytes written (and delta), network bytes. */
export function formatWatchdog(samples: WatchdogSample[], last = 8): string[] {
  const shown = samples.slice(-last);
  return shown.map((s, i) => {
    const before = i > 0 ? shown[i - 1] : undefined;
    const dw = before ? s.diskWriteBytes - before.diskWriteBytes : 0;
    const dn = before && s.netBytes !== undefined && before.netBytes !== undefined ? s.netBytes - before.netBytes : undefined;
    const net = s.netBytes === undefined ? '' : `, net ${formatBytes(s.netBytes)}${dn === undefined ? '' : ` (+${formatBytes(dn)})`}`;
    return `t=${s.t.toFixed(1)}s disk written ${formatBytes(s.diskWriteBytes)} (+${formatBytes(dw)}), ${s.diskWriteOps} write ops${net}`;
  });
}

/**
 * The error guest-install ends with: a message a person can act on (what happened, the
 * screenshot, the watchdog's last samples, the last console lines) and the same facts in
 * its evidence for the document's `failure`.
 */
export function installFailure(facts: FailureFacts): GuestFailure {
  const lines = [`install failed after ${Math.round(facts.seconds)} s: ${facts.headline}`];
  if (facts.screenshots.length > 0) lines.push(`screenshot: ${facts.screenshots.join(', ')}`);
  else if (facts.screenshotProblem) lines.push(`no screenshot: ${facts.screenshotProblem}`);
  if (facts.diskNote) lines.push(facts.diskNote);
  if (facts.watchdog.length > 0) {
    lines.push('watchdog (last samples):');
    for (const l of formatWatchdog(facts.watchdog)) lines.push(`  ${l}`);
  }
  lines.push(`console (${facts.consoleLog}), last ${facts.consoleTail.length} lines:`);
  if (facts.consoleTail.length === 0) lines.push('  (the guest wrote nothing to the serial console)');
  for (const l of facts.consoleTail) lines.push(`  | ${l}`);
  const evidence: FailureEvidence = {
    reason: facts.kind,
    consoleLog: facts.consoleLog,
    consoleTail: facts.consoleTail,
    screenshots: facts.screenshots,
    ...(facts.screenshotProblem ? { screenshotProblem: facts.screenshotProblem } : {}),
    watchdog: facts.watchdog,
    seconds: Math.round(facts.seconds * 10) / 10,
  };
  return new GuestFailure(codeFor[facts.kind], lines.join('\n'), evidence, facts.hint !== undefined ? { hint: facts.hint } : {});
}
