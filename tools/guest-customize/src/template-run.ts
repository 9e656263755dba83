import type { CustomizeStep } from '@ozkit/build-document';
import type { Logger, PhaseClock } from '@ozkit/log';
import type { SshSession } from '@ozkit/ssh';
import type { PackageManager } from './guest-os.js';
import type { GuestRunner } from './guest-runner.js';

/** One logged-in customization: what every step of the TDL works with. */
export interface TemplateRun {
  session: SshSession;
  runner: GuestRunner;
  packageManager: PackageManager;
  /** The guest's release codename (apt repositories without a suite use it). */
  codename?: string;
  logger: Logger;
  signal?: AbortSignal;
  /** The report of the steps done so far (`customize.steps`). */
  steps: CustomizeStep[];
  /** Phase start/end events for the build bench (repository refresh, package transaction, files/commands). */
  phases?: PhaseClock;
}

/** Runs one reported step: logs it, times it, records its exit status. */
export async function timedStep(run: TemplateRun, step: CustomizeStep['step'], name: string, body: () => Promise<number | undefined>): Promise<void> {
  const started = Date.now();
  run.logger.event('step', { step, name });
  const exitCode = await body();
  run.steps.push({ step, name, seconds: Math.round((Date.now() - started) / 100) / 10, ...(exitCode !== undefined ? { exitCode } : {}) });
}
