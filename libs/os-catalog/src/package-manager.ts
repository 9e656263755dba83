import type { Customize } from '@ozkit/build-document';
import type { OsReleaseIds } from './os-family.js';

export type PackageManager = Customize['guest']['packageManager'];

/** The package managers a guest can have, in the names of their commands. */
export const PACKAGE_MANAGER_COMMANDS = ['apt-get', 'dnf', 'yum', 'zypper'] as const;

/**
 * The package manager of a guest, from its os-release family and the commands it has; the
 * family decides where it is unambiguous, else dnf beats yum (RHEL 8+ ship a yum alias).
 * Undefined when it has none of them.
 */
export function packageManagerFor(release: OsReleaseIds, commands: ReadonlySet<string>): PackageManager | undefined {
  const family = new Set([release.id, ...release.idLike]);
  if ((family.has('debian') || family.has('ubuntu')) && commands.has('apt-get')) return 'apt';
  if ((family.has('suse') || family.has('opensuse') || release.id.startsWith('opensuse') || release.id === 'sles') && commands.has('zypper')) return 'zypper';
  if (commands.has('dnf')) return 'dnf';
  if (commands.has('yum')) return 'yum';
  if (commands.has('apt-get')) return 'apt';
  if (commands.has('zypper')) return 'zypper';
  return undefined;
}
