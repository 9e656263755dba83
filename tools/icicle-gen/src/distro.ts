import type { BuildDocument } from '@ozkit/build-document';
import { osReleaseIdFor, rpmVendorFor } from '@ozkit/os-catalog';

/** Which distribution the image runs, for purl namespaces and the `distro` qualifier. */
export interface Distro {
  /** os-release ID, e.g. debian, ubuntu, rocky, rhel, centos, fedora. */
  id: string;
  versionId?: string;
  prettyName?: string;
  /** Where this came from: the guest's os-release (trusted) or the TDL (a guess). */
  source: 'guest' | 'template' | 'unknown';
}

export function distroOf(doc: BuildDocument): Distro {
  const guest = doc.customize?.guest;
  if (guest?.id) {
    return {
      id: guest.id.toLowerCase(),
      ...(guest.versionId ? { versionId: guest.versionId } : {}),
      ...(guest.prettyName ? { prettyName: guest.prettyName } : {}),
      source: 'guest',
    };
  }
  const os = doc.template?.os;
  if (os?.name) {
    return { id: osReleaseIdFor(os.name), ...(os.version ? { versionId: os.version } : {}), source: 'template' };
  }
  return { id: 'linux', source: 'unknown' };
}

/** The purl namespace for packages of this distribution. */
export function purlNamespace(distro: Distro, format: 'rpm' | 'deb'): string {
  if (format === 'deb') return distro.id === 'linux' ? 'debian' : distro.id;
  return rpmVendorFor(distro.id);
}

/** The `distro` qualifier, `<id>-<version>` as SBOM tools (syft, trivy) write it. */
export function distroQualifier(distro: Distro): string | undefined {
  if (distro.source === 'unknown') return undefined;
  return distro.versionId ? `${distro.id}-${distro.versionId}` : distro.id;
}
