import { OzkitError } from '@ozkit/errors';
import { OS_RELEASE_COMMAND, parseOsRelease, type OsRelease } from '@ozkit/inventory';
import { PACKAGE_MANAGER_COMMANDS, packageManagerFor, type PackageManager } from '@ozkit/os-catalog';

export type { PackageManager };

export interface GuestOs {
  release: OsRelease;
  packageManager: PackageManager;
}

const SEPARATOR = '--- ozkit package managers ---';

/** Prints os-release, then which package managers exist on the guest. */
export const GUEST_PROBE_COMMAND = `${OS_RELEASE_COMMAND}; echo '${SEPARATOR}'; for p in ${PACKAGE_MANAGER_COMMANDS.join(' ')}; do command -v $p >/dev/null 2>&1 && echo $p; done; true`;

/**
 * What the guest really is, from the probe's output: its own os-release and the package
 * managers it has (the TDL may say otherwise: the guest wins). The OS catalog decides which
 * package manager that means.
 */
export function detectGuestOs(probeOutput: string): GuestOs {
  const at = probeOutput.indexOf(SEPARATOR);
  const releaseText = at < 0 ? probeOutput : probeOutput.slice(0, at);
  const commands = new Set(
    (at < 0 ? '' : probeOutput.slice(at + SEPARATOR.length))
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean),
  );
  const release = parseOsRelease(releaseText);
  const packageManager = packageManagerFor(release, commands);
  if (!packageManager)
    throw new OzkitError('SERVICE_UNAVAILABLE', `the guest (${release.prettyName ?? release.id}) has none of ${PACKAGE_MANAGER_COMMANDS.join(', ')}`, {
      hint: 'ozkit customizes Debian/Ubuntu, Red Hat family and SUSE guests',
    });
  return { release, packageManager };
}
