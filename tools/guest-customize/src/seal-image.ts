import { OzkitError } from '@ozkit/errors';
import type { Customize, CustomizeCloud } from '@ozkit/build-document';
import type { TargetCloud } from '@ozkit/config';
import { datasourceConfig } from './cloud-datasource.js';
import { NOT_APPLICABLE_EXIT, type SealOperation } from './seal-operations.js';
import type { TemplateRun } from './template-run.js';

/** What the seal step needs to know about the cloud (from --target-cloud / [ozkit] target_cloud). */
export interface CloudSealOptions {
  targetCloud: TargetCloud;
  /** No cloud-init in the image is an error (exit 65), for images meant for a cloud. */
  requireCloudInit: boolean;
}

const CLOUD_INIT_MARK = 'ozkit-cloud-init:';
const USER_MARK = 'ozkit-default-user:';

/**
 * Prints whether cloud-init is installed (and its version) and the default user its cloud.cfg
 * names (`system_info.default_user.name`, the last file in cloud.cfg.d that sets it wins).
 */
export const CLOUD_PROBE_COMMAND =
  `if command -v cloud-init >/dev/null 2>&1; then echo "${CLOUD_INIT_MARK} $(cloud-init --version 2>&1 | tail -n 1)"; ` +
  `for f in /etc/cloud/cloud.cfg /etc/cloud/cloud.cfg.d/*.cfg; do [ -f "$f" ] && awk '/^[[:space:]]*default_user:/{d=1;next} d&&/^[[:space:]]*name:/{sub(/^[[:space:]]*name:[[:space:]]*/,"");gsub(/"/,"");print "${USER_MARK} " $0;d=0} d&&/^[^[:space:]]/{d=0}' "$f"; done; ` +
  `else echo "${CLOUD_INIT_MARK} absent"; fi; true`;

/** The probe's output as `customize.cloud`. */
export function parseCloudProbe(output: string, targetCloud: TargetCloud): CustomizeCloud {
  const lines = output.split('\n').map((l) => l.trim());
  const state = lines
    .find((l) => l.startsWith(CLOUD_INIT_MARK))
    ?.slice(CLOUD_INIT_MARK.length)
    .trim();
  const cloudInit = state !== undefined && state !== 'absent';
  const users = lines
    .filter((l) => l.startsWith(USER_MARK))
    .map((l) => l.slice(USER_MARK.length).trim())
    .filter(Boolean);
  const version = cloudInit ? /([0-9]+(?:\.[0-9]+)+\S*)/.exec(state!)?.[1] : undefined;
  const pinned = cloudInit ? datasourceConfig(targetCloud)?.datasources : undefined;
  return {
    target: targetCloud,
    cloudInit,
    ...(version ? { cloudInitVersion: version } : {}),
    ...(cloudInit && users.length ? { defaultUser: users[users.length - 1] } : {}),
    ...(pinned ? { datasourceList: pinned } : {}),
  };
}

/** What cloud-init the image has; refuses an image without it under --require-cloud-init (exit 65). */
export async function probeCloud(run: TemplateRun, options: CloudSealOptions): Promise<CustomizeCloud> {
  const probe = await run.runner.run('cloud-init probe', CLOUD_PROBE_COMMAND, { captureStdout: true, quiet: true, timeoutMs: 120_000 });
  const cloud = parseCloudProbe(probe.stdout, options.targetCloud);
  if (!cloud.cloudInit) {
    if (options.requireCloudInit)
      throw new OzkitError('BAD_IMAGE', `--require-cloud-init: the image has no cloud-init, so a cloud (${options.targetCloud}) cannot configure it on first boot`, {
        hint: "add <package name='cloud-init'/> (and cloud-guest-utils for growpart) to the template's <packages>",
      });
    run.logger.info(`cloud-init is not installed: the image is sealed without cloud-init operations (--target-cloud ${options.targetCloud} has nothing to pin)`);
  } else {
    run.logger.info(
      `cloud-init ${cloud.cloudInitVersion ?? ''} installed${cloud.defaultUser ? `, default user ${cloud.defaultUser}` : ''}; target cloud ${cloud.target}`,
    );
  }
  return cloud;
}

/** Step 7: the seal operations, each reported with what it did (or why it did not apply); then sync. */
export async function sealImage(
  run: TemplateRun,
  operations: SealOperation[],
  buildPublicKey: string,
  stepTimeoutMs: number,
  cloud: Pick<CustomizeCloud, 'target' | 'cloudInit'>,
): Promise<Customize['seal']> {
  const report = { operations: [] as NonNullable<Customize['seal']>['operations'] };
  for (const op of operations) {
    // probeCloud already said once that cloud-init is missing; each operation only records it.
    if (op.needsCloudInit && !cloud.cloudInit) {
      report.operations.push({ op: op.op, done: false, detail: 'cloud-init not installed' });
      continue;
    }
    const result = await run.runner.run(`seal ${op.op}`, op.script({ packageManager: run.packageManager, buildPublicKey, targetCloud: cloud.target }), {
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
