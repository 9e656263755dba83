import { join } from 'node:path';
import { acquireLock, type FileLock } from '@ozkit/cache';
import { cacheArea } from '@ozkit/config';
import type { GuestInstallOptions } from './guest-install.js';
import type { InstallInputs } from './install-inputs.js';
import { findJeos, jeosKey, type JeosKeyParts } from './jeos-cache.js';

/** Where this install is (or will be) in the JEOS cache. */
export interface JeosPlan {
  key: string;
  dir: string;
  parts: JeosKeyParts;
}

/** The JEOS key of this install, when the cache is on and the document has what the key needs. */
export function planJeos(inputs: InstallInputs, options: GuestInstallOptions): JeosPlan | undefined {
  const { settings, logger } = options;
  const parts: JeosKeyParts = {
    mediaSha256: inputs.media.original?.sha256 ?? '',
    answerStableSha256: inputs.answer.stableSha256 ?? '',
    sizeBytes: inputs.sizeBytes,
    format: inputs.format,
    bus: inputs.bus,
    firmware: inputs.firmware,
    arch: inputs.arch,
    toolVersion: options.toolVersion,
  };
  const cacheable = parts.mediaSha256 !== '' && parts.answerStableSha256 !== '';
  if (!settings.cacheJeos) return undefined;
  if (!cacheable) {
    logger.warn('JEOS cache skipped: the document has no media.original.sha256 or answer.stableSha256');
    return undefined;
  }
  return { key: jeosKey(parts), dir: cacheArea(settings, 'jeos'), parts };
}

/**
 * Another run installing the same image: wait for it and take its result instead of
 * installing twice (a flock the kernel frees however the holder ends).
 */
export async function waitForSameInstall(plan: JeosPlan | undefined, options: GuestInstallOptions): Promise<FileLock | undefined> {
  const { settings, logger, signal } = options;
  if (!plan || findJeos(plan.dir, plan.key)) return undefined;
  try {
    return await acquireLock(join(plan.dir, `.lock-${plan.key}`), {
      timeoutMs: settings.timeoutInstall * 1000,
      signal,
      onWait: () => logger.info(`another build is installing the same image (JEOS ${plan.key.slice(0, 12)}); waiting for it`),
    });
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    logger.warn(`${(error as Error).message}; installing without waiting`);
    return undefined;
  }
}
