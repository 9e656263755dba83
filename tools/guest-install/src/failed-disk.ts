import { existsSync, renameSync, rmSync } from 'node:fs';
import type { ImageFormat } from '@ozkit/build-document';
import { GuestFailure } from '@ozkit/vm';

/** What became of a failed install's disk. */
export interface FailedDisk {
  /** One line for the error message. */
  text: string;
  /** Where it was kept, if it was. */
  kept?: string;
}

/** The failed disk: deleted, or kept (`--keep-failed`) under a name that says so. */
export function keepOrDeleteDisk(partialDisk: string, diskPath: string, format: ImageFormat, keep: boolean | undefined): FailedDisk {
  if (!existsSync(partialDisk)) return { text: 'no disk was created' };
  if (keep) {
    const kept = diskPath.replace(new RegExp(`\\.${format}$`), '') + `.failed.${format}`;
    renameSync(partialDisk, kept);
    return { text: `the failed disk was kept: ${kept}`, kept };
  }
  rmSync(partialDisk, { force: true });
  return { text: 'the partial disk was deleted (keep it with --keep-failed)' };
}

/** The failure with what became of the disk: a line under the headline, and `failure.disk`. */
export function withDiskNote(failure: GuestFailure, disk: FailedDisk): GuestFailure {
  const [headline, ...rest] = failure.message.split('\n');
  return new GuestFailure(
    failure.code,
    [headline, disk.text, ...rest].join('\n'),
    { ...failure.evidence, disk: disk.kept ?? null },
    {
      ...(failure.hint !== undefined ? { hint: failure.hint } : {}),
      exitCode: failure.exitCode,
    },
  );
}
