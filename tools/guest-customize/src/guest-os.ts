import { OzkitError } from '@ozkit/errors';
import type { Customize } from '@ozkit/build-document';
import { OS_RELEASE_COMMAND, parseOsRelease, type OsRelease } from '@ozkit/inventory';

export type PackageManager = Customize['guest']['packageManager'];

export interface GuestOs {
  release: OsRelease;
  packageManager: PackageManager;
}

const SEPARATOR = '--- ozkit package managers ---';

/** Prints os-release, then which package managers exist on the guest. */
export const GUEST_PROBE_COMMAND = `${OS_RELEASE_COMMAND}; echo '${SEPARATOR}'; for p in apt-get dnf yum zypper; do command -v $p >/dev/null 2>&1 && echo $p; done; true`;

/**
 * What the guest really is, from its own os-release and the tools it has (the TDL may say
 * otherwise: the guest wins). dnf beats yum where both exist (RHEL 8+ ship a yum alias).
 */
export function detectGuestOs(probeOutput: string): GuestOs {
  const at = probeOutput.indexOf(SEPARATOR);
  const releaseText = at < 0 ? probeOutput : probeOutput.slice(0, at);
  const tools = new Set(
    (at < 0 ? '' : probeOutput.slice(at + SEPARATOR.length))
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean),
  );
  const release = parseOsRelease(releaseText);
  const family = new Set([release.id, ...release.idLike]);
  let packageManager: PackageManager | undefined;
  if ((family.has('debian') || family.has('ubuntu')) && tools.has('apt-get')) packageManager = 'apt';
  else if ((family.has('suse') || family.has('opensuse') || release.id.startsWith('opensuse') || release.id === 'sles') && tools.has('zypper'))
    packageManager = 'zypper';
  else if (tools.has('dnf')) packageManager = 'dnf';
  else if (tools.has('yum')) packageManager = 'yum';
  else if (tools.has('apt-get')) packageManager = 'apt';
  else if (tools.has('zypper')) packageManager = 'zypper';
  if (!packageManager)
    throw new OzkitError('SERVICE_UNAVAILABLE', `the guest (${release.prettyName ?? release.id}) has none of apt-get, dnf, yum, zypper`, {
      hint: 'ozkit customizes Debian/Ubuntu, Red Hat family and SUSE guests',
    });
  return { release, packageManager };
}

/** The TDL's os/name as an os-release family, to warn when template and guest disagree. */
export function templateFamily(osName: string): string | undefined {
  const n = osName.toLowerCase();
  if (n === 'debian') return 'debian';
  if (n === 'ubuntu') return 'ubuntu';
  if (/^(rhel|centos|fedora|fc|fedoracore|rocky|alma|ol|sl|slc)/.test(n)) return 'rhel';
  if (/suse|sles/.test(n)) return 'suse';
  return undefined;
}

export function familyMatches(osName: string, release: OsRelease): boolean {
  const expected = templateFamily(osName);
  if (!expected) return true;
  const ids = [release.id, ...release.idLike];
  if (expected === 'rhel') return ids.some((id) => ['rhel', 'fedora', 'centos', 'rocky', 'almalinux', 'ol'].includes(id));
  if (expected === 'suse') return ids.some((id) => id.includes('suse') || id === 'sles');
  return ids.includes(expected);
}
