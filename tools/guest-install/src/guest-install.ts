import type { BuildDocument } from '@ozkit/build-document';
import { DEFAULT_PACKAGE_CACHE_PORT, openPackageCache, type PackageCache } from '@ozkit/cache';
import { cacheArea, type Settings } from '@ozkit/config';
import { toOzkitError } from '@ozkit/errors';
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
  > &
    Partial<Pick<Settings, 'cachePackages' | 'packageCachePort'>>;
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
    if (hit) return { ...doc, disk: await reuseJeos(hit, inputs, started, options.logger, options.signal) };
    const packageCache = await openInstallPackageCache(options);
    try {
      return { ...doc, disk: await installFresh(inputs, jeos, options) };
    } finally {
      await packageCache?.release().catch((error: unknown) => options.logger.warn(`package cache: ${toOzkitError(error).message}`));
    }
  } finally {
    await lock?.release();
  }
}

/** `[cache] packages`: the cache a default preseed names as the installer's proxy (ks-render's mirror/http/proxy). */
async function openInstallPackageCache({ settings, logger }: GuestInstallOptions): Promise<PackageCache | undefined> {
  if (!settings.cachePackages) return undefined;
  if (settings.connect !== undefined) {
    logger.warn('[cache] packages: not used with a libvirt connection (the guest reaches the cache through QEMU user networking only)');
    return undefined;
  }
  const port = settings.packageCachePort ?? DEFAULT_PACKAGE_CACHE_PORT;
  const cache = await openPackageCache({ dir: cacheArea(settings, 'package-cache'), port });
  logger.info(
    `package cache: apt-cacher-ng on 127.0.0.1:${port} (${cache.started ? 'started' : 'already running, reused'}) for the installer's proxy ${cache.guestUrl}`,
  );
  return cache;
}
