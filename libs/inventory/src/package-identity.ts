import type { InventoryPackage } from '@ozkit/build-document';
import type { InventoryFormat } from './query-commands.js';
import type { ParsedPackage } from './parse-inventory.js';

/**
 * The version as the package manager writes it: rpm `VERSION-RELEASE` (epoch kept apart,
 * as rpm -q shows it), deb `[epoch:]upstream[-revision]` (dpkg always shows the epoch).
 */
export function fullVersion(pkg: InventoryPackage, format: InventoryFormat): string {
  if (format === 'rpm') return pkg.release ? `${pkg.version}-${pkg.release}` : pkg.version;
  const epoch = pkg.epoch !== undefined && pkg.epoch !== '' ? `${pkg.epoch}:` : '';
  const release = pkg.release ? `-${pkg.release}` : '';
  return `${epoch}${pkg.version}${release}`;
}

/**
 * The `name` Oz writes into ICICLE for this package on the same system.
 * - rpm: Oz runs plain `rpm -qa`, whose default format (rpm ≥ 4.8, all supported
 *   distributions) is `%{nvra}`: NAME-VERSION-RELEASE.ARCH, no epoch, and no `.ARCH` for
 *   packages without one (gpg-pubkey).
 * - deb: Oz keeps the first field of `dpkg --get-selections`: the package name, qualified
 *   with `:ARCH` for Multi-Arch: same and foreign packages (dpkg-query's `${binary:Package}`).
 */
export function icicleName(pkg: InventoryPackage | ParsedPackage, format: InventoryFormat): string {
  if (format === 'rpm') {
    const nvr = `${pkg.name}-${fullVersion(pkg, 'rpm')}`;
    return pkg.arch && pkg.arch !== '(none)' ? `${nvr}.${pkg.arch}` : nvr;
  }
  const qualified = (pkg as ParsedPackage).qualifiedName;
  return typeof qualified === 'string' && qualified !== '' ? qualified : pkg.name;
}

/**
 * Whether the package's files are on the system. Only deb records can say otherwise:
 * `rc` (removed, config files left) and `pn`/`un` (never unpacked) are not installed.
 */
export function isInstalled(pkg: InventoryPackage | ParsedPackage): boolean {
  const status = (pkg as ParsedPackage).status;
  if (typeof status !== 'string' || status.length < 2) return true;
  return status[1] !== 'c' && status[1] !== 'n';
}
