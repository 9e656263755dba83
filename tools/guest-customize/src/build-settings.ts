import { aptProxyRemovalScript } from '@ozkit/cache';
import type { SealOperation } from './seal-operations.js';
import { shellQuote } from './shell-quote.js';
import type { TemplateRun } from './template-run.js';

/** apt's proxy setting for the package cache, written for the customization and removed by the `build-proxy` seal operation. */
export const BUILD_PROXY_FILE = '/etc/apt/apt.conf.d/00ozkit-build-proxy';
/** dpkg without fsync for the customization (the disk is thrown away on failure); removed by the `dpkg-unsafe-io` seal operation. */
export const DPKG_UNSAFE_IO_FILE = '/etc/dpkg/dpkg.cfg.d/ozkit-unsafe-io';

export interface BuildSettingsPlan {
  /** The package cache's URL as the guest sees it (`http://10.0.2.2:PORT/`), whether or not it is used now. */
  packageProxyUrl: string;
  /** The cache runs for this customization. */
  useProxy: boolean;
}

/**
 * Settings that only the build needs, put in before the TDL is applied (apt guests only): the
 * package cache as apt's HTTP proxy, and dpkg's force-unsafe-io. Each is applied only when the seal
 * operation that takes it out again runs, so an image never keeps one. A proxy line for the cache
 * left by the install (the preseed's mirror/http/proxy) goes first, in use now or not.
 */
export async function applyBuildSettings(run: TemplateRun, plan: BuildSettingsPlan, sealOperations: SealOperation[]): Promise<void> {
  if (run.packageManager !== 'apt') return;
  const sealing = new Set(sealOperations.map((o) => o.op));
  const lines = [aptProxyRemovalScript(plan.packageProxyUrl)];
  if (plan.useProxy && sealing.has('build-proxy'))
    lines.push(`printf '%s\\n' ${shellQuote(`Acquire::http::Proxy "${plan.packageProxyUrl}";`)} > ${BUILD_PROXY_FILE}`);
  if (sealing.has('dpkg-unsafe-io')) lines.push(`mkdir -p /etc/dpkg/dpkg.cfg.d && echo force-unsafe-io > ${DPKG_UNSAFE_IO_FILE}`);
  await run.runner.run('build settings', lines.join('\n'), { quiet: true });
  if (lines.length > 1)
    run.logger.info(
      `build settings until sealing: ${[plan.useProxy && sealing.has('build-proxy') ? `apt proxy ${plan.packageProxyUrl}` : '', sealing.has('dpkg-unsafe-io') ? 'dpkg force-unsafe-io' : ''].filter(Boolean).join(', ')}`,
    );
}
