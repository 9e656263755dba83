/**
 * The TDL's operating system names (Oz's spelling) against what a guest says about itself in
 * /etc/os-release (`ID`, `ID_LIKE`).
 */

/** The os-release fields these facts are read from. */
export interface OsReleaseIds {
  id: string;
  idLike: string[];
}

export type GuestFamily = 'debian' | 'ubuntu' | 'rhel' | 'suse';

/** TDL os/name values → os-release IDs. */
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

/**
 * The os-release ID a TDL os/name stands for. Oz names RHEL releases "RHEL-7", "RHEL-9": the
 * part before a trailing -N is the distribution; an unknown name is kept, reduced to ID characters.
 */
export function osReleaseIdFor(tdlName: string): string {
  const base = tdlName.toLowerCase().replace(/-\d+$/, '');
  return ID_BY_TDL_NAME[base] ?? base.replace(/[^a-z0-9._-]/g, '');
}

/** The TDL's os/name as an os-release family, to warn when template and guest disagree. */
export function templateFamily(osName: string): GuestFamily | undefined {
  const n = osName.toLowerCase();
  if (n === 'debian') return 'debian';
  if (n === 'ubuntu') return 'ubuntu';
  // SUSE first: "sles" begins like Scientific Linux's "sl".
  if (/suse|sles/.test(n)) return 'suse';
  if (/^(rhel|centos|fedora|fc|fedoracore|rocky|alma|ol|sl|slc)/.test(n)) return 'rhel';
  return undefined;
}

/** Whether the guest belongs to the family the TDL names (an unknown TDL name matches anything). */
export function familyMatches(osName: string, release: OsReleaseIds): boolean {
  const expected = templateFamily(osName);
  if (!expected) return true;
  const ids = [release.id, ...release.idLike];
  if (expected === 'rhel') return ids.some((id) => ['rhel', 'fedora', 'centos', 'rocky', 'almalinux', 'ol'].includes(id));
  if (expected === 'suse') return ids.some((id) => id.includes('suse') || id === 'sles');
  return ids.includes(expected);
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

/** The vendor that publishes an os-release ID's RPM packages (the purl namespace). */
export function rpmVendorFor(id: string): string {
  return RPM_VENDOR_BY_ID[id] ?? id;
}
