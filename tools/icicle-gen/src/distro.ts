import type { BuildDocument } from '@ozkit/build-document';

/** Which distribution the image runs, for purl namespaces and the `distro` qualifier. */
export interface Distro {
  /** os-release ID, e.g. debian, ubuntu, rocky, rhel, centos, fedora. */
  id: string;
  versionId?: string;
  prettyName?: string;
  /** Where this came from: the guest's os-release (trusted) or the TDL (a guess). */
  source: 'guest' | 'template' | 'unknown';
}

/** purl-spec rpm namespaces are vendors: Red Hat's is `redhat`, not the os-release `rhel`. */
const RPM_VENDOR_BY_ID: Record<string, string> = {
  rhel: 'redhat',
  ol: 'oracle',
  sles: 'suse',
  sled: 'suse',
  'opensuse-leap': 'opensuse',
  'opensuse-tumbleweed': 'opensuse',
  amzn: 'amazon',
};

/** TDL os/name values (Oz's spelling) → os-release IDs. */
const ID_BY_TDL_NAME: Record<string, string> = {
  rhel: 'rhel',
  centos: 'centos',
  'centos-stream': 'centos',
  rocky: 'rocky',
  rockylinux: 'rocky',
  alma: 'almalinux',
  almalinux: 'almalinux',
  fedora: 'fedora',
  debian: 'debian',
  ubuntu: 'ubuntu',
  opensuse: 'opensuse-leap',
  sles: 'sles',
  mageia: 'mageia',
  oel: 'ol',
  ol: 'ol',
  scientificlinux: 'scientific',
  sl: 'scientific',
};

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
    // Oz names RHEL releases "RHEL-7", "RHEL-9": the part before a trailing -N is the distro.
    const base = os.name.toLowerCase().replace(/-\d+$/, '');
    const id = ID_BY_TDL_NAME[base] ?? base.replace(/[^a-z0-9._-]/g, '');
    return { id, ...(os.version ? { versionId: os.version } : {}), source: 'template' };
  }
  return { id: 'linux', source: 'unknown' };
}

/** The purl namespace for packages of this distribution. */
export function purlNamespace(distro: Distro, format: 'rpm' | 'deb'): string {
  if (format === 'deb') return distro.id === 'linux' ? 'debian' : distro.id;
  return RPM_VENDOR_BY_ID[distro.id] ?? distro.id;
}

/** The `distro` qualifier, `<id>-<version>` as SBOM tools (syft, trivy) write it. */
export function distroQualifier(distro: Distro): string | undefined {
  if (distro.source === 'unknown') return undefined;
  return distro.versionId ? `${distro.id}-${distro.versionId}` : distro.id;
}
