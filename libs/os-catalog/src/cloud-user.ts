/**
 * The login a distribution's cloud images create for the key the cloud injects (cloud-init's
 * `default_user`). A guest's own /etc/cloud/cloud.cfg says it for certain; this is the answer
 * when that cannot be read. Undefined where the distributions disagree or it is not known.
 */
const CLOUD_USER_BY_ID: Record<string, string> = {
  debian: 'debian',
  ubuntu: 'ubuntu',
  fedora: 'fedora',
  rhel: 'cloud-user',
  rocky: 'rocky',
  almalinux: 'almalinux',
};

/** CentOS Linux images logged in as `centos`; CentOS Stream's (8 and later) as `cloud-user`, as RHEL's. */
export function defaultCloudUser(id: string, versionId?: string): string | undefined {
  if (id === 'centos') return versionId !== undefined && Number.parseInt(versionId, 10) <= 7 ? 'centos' : 'cloud-user';
  return CLOUD_USER_BY_ID[id];
}
