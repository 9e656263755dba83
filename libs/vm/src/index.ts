export type {
  AccelChoice,
  GuestConsole,
  GuestDescription,
  GuestDisk,
  GuestEvent,
  GuestExit,
  GuestNetwork,
  GuestStats,
  RunningGuest,
  ShutdownReason,
  VmBackend,
} from './vm-backend.js';
export { defaultBackend, selectBackend, type BackendSettings, type BackendUser } from './select-backend.js';
export { qemuBackend } from './qemu-backend.js';
export { startGuest, WatchedGuest, type StartGuestOptions } from './start-guest.js';
export { bootToSsh, type BootToSshOptions, type SshGuest } from './boot-to-ssh.js';
export { GuestFailure, formatEvidence, reasonFor, type ActivitySample, type FailureEvidence, type FailureReason } from './failure-evidence.js';
export { bootTroubleIn, firstBootTrouble, isPanicLine, troubleHint, type BootTrouble } from './boot-trouble.js';
export { createDisk, diskInfo, flushDiskImage, type CreateDiskOptions, type DiskFormat, type DiskInfo } from './disk-images.js';
// What a guest is booted on when the description does not say: image properties report it.
export { defaultMachineType } from '@ozkit/qemu';
export { DEFAULT_NIC_MODEL } from './vm-backend.js';
export { libvirtBackend, type LibvirtConnection } from './libvirt/libvirt-backend.js';
export { parseLibvirtUri, type LibvirtUri } from './libvirt/libvirt-uri.js';
