import type { BuildDocument } from '@ozkit/build-document';
import type { Settings } from '@ozkit/config';
import type { Logger } from '@ozkit/log';
import { readInstallInputs } from './install-inputs.js';
import { installFresh } from './install-fresh.js';
import { findJeos } from './jeos-cache.js';
import { planJeos, waitForSameInstall } from './jeos-plan.js';
import { reuseJeos } from './reuse-jeos.js';

export interface GuestInstallOptions {
  settings: Pick<
    Settings,
    | 'cacheDir'
    | 'cpus'
    | 'memoryMiB'
    | 'imageType'
    | 'accel'
    | 'diskBus'
    | 'cacheJeos'
    | 'timeoutInstall'
    | 'timeoutInactivity'
    | 'screenshotDir'
    | 'connect'
    | 'virtType'
    | 'pool'
    | 'bridgeName'
  >;
  toolVersion: string;
  /** Where the disk goes (default `<workdir>/<name>.<format>`). */
  diskPath?: string;
  firmware?: 'bios' | 'uefi';
  /** Stream the serial console to stderr. */
  console?: boolean;
  /** Fail (instead of warning) when the guest powered off without writing the marker. */
  requireMarker?: boolean;
  /** Keep the disk of a failed install (as `<name>.failed.<format>`). */
  keepFailed?: boolean;
  /** Watchdog sampling interval, ms (tests make it short). */
  sampleMs?: number;
  /** QEMU arguments appended as given. */
  extraQemuArgs?: string[];
  logger: Logger;
  signal: AbortSignal;
}

/**
 * The guest-install stage: creates the disk, runs the installer until it ends (or reuses a
 * cached install), and adds `disk` to the document. Nothing half-done stays behind: the disk
 * is installed under a temporary name and renamed only on success.
 */
export async function guestInstall(doc: BuildDocument, options: GuestInstallOptions): Promise<BuildDocument> {
  const started = Date.now();
  const inputs = readInstallInputs(doc, options);
  const jeos = planJeos(inputs, options);
  const lock = await waitForSameInstall(jeos, options);
  try {
    const hit = jeos ? findJeos(jeos.dir, jeos.key) : undefined;
    const disk = hit ? await reuseJeos(hit, inputs, started, options.logger, options.signal) : await installFresh(inputs, jeos, options);
    return { ...doc, disk };
  } finally {
    await lock?.release();
  }
}
