export { guestInstall, type GuestInstallOptions } from './guest-install.js';
export { runInstallVm, type InstallRunOptions, type InstallRunResult } from './install-run.js';
export { ActivityWatchdog, type ActivityReading, type WatchdogOptions } from './activity-watchdog.js';
export { installFailure, formatWatchdog, type FailureFacts, type FailureKind } from './install-failure.js';
export { jeosKey, findJeos, storeJeos, cloneJeos, type JeosKeyParts, type JeosEntry, type JeosMeta } from './jeos-cache.js';
export { checkBootMedia } from './boot-media-check.js';
