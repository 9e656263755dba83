/**
 * Disk image files (qemu-img): made and inspected on this host whichever backend runs the guest.
 */
export { createDisk, diskInfo, type CreateDiskOptions, type DiskFormat, type DiskInfo } from '@ozkit/qemu';
