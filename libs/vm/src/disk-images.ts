/**
 * Disk image files (qemu-img): made and inspected on this host whichever backend runs the guest.
 */
import { open } from 'node:fs/promises';
import { OzkitError } from '@ozkit/errors';

export { createDisk, diskInfo, type CreateDiskOptions, type DiskFormat, type DiskInfo } from '@ozkit/qemu';

/** Makes a disk written with `cache: 'unsafe'` durable once its guest finished: one fsync on the host. */
export async function flushDiskImage(path: string): Promise<void> {
  let fh;
  try {
    fh = await open(path, 'r+');
    await fh.sync();
  } catch (error) {
    throw new OzkitError('IO', `${path}: cannot flush the disk image to storage: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  } finally {
    await fh?.close();
  }
}
