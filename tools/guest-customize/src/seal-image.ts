import type { Customize } from '@ozkit/build-document';
import { NOT_APPLICABLE_EXIT, type SealOperation } from './seal-operations.js';
import type { TemplateRun } from './template-run.js';

/** Step 7: the seal operations, each reported with what it did (or why it did not apply); then sync. */
export async function sealImage(
  run: TemplateRun,
  operations: SealOperation[],
  buildPublicKey: string,
  stepTimeoutMs: number,
  packageProxyUrl: string,
): Promise<Customize['seal']> {
  const report = { operations: [] as NonNullable<Customize['seal']>['operations'] };
  for (const op of operations) {
    const result = await run.runner.run(`seal ${op.op}`, op.script({ packageManager: run.packageManager, buildPublicKey, packageProxyUrl }), {
      captureStdout: true,
      quiet: true,
      timeoutMs: Math.min(stepTimeoutMs, 10 * 60_000),
      okExitCodes: [0, NOT_APPLICABLE_EXIT],
    });
    const detail = result.stdout.trim().split('\n').filter(Boolean).pop();
    report.operations.push({ op: op.op, done: result.exitCode === 0, ...(detail ? { detail } : {}) });
    run.logger.info(`seal ${op.op}: ${result.exitCode === 0 ? (detail ?? 'done') : `skipped (${detail ?? 'not applicable'})`}`);
  }
  return report;
}
