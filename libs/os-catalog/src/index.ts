export {
  resolveOs,
  SUPPORTED_OS_NAMES,
  FEDORA_OLDEST,
  FEDORA_NEWEST,
  DEBIAN_RELEASES,
  type OsRelease,
  type KickstartSyntax,
  type Distro,
} from './os-release-catalog.js';
export { osReleaseIdFor, templateFamily, familyMatches, rpmVendorFor, type OsReleaseIds, type GuestFamily } from './os-family.js';
export { packageManagerFor, PACKAGE_MANAGER_COMMANDS, type PackageManager } from './package-manager.js';
export { diskBusFor } from './disk-bus.js';
export { defaultCloudUser } from './cloud-user.js';
export { readAptSources, parseOneLineSources, parseDeb822Sources, type AptSource } from './apt-sources.js';
export { archiveMirror, hostArchiveMirror, type ArchiveMirror, type ArchiveDistro, type ArchiveMirrorOptions } from './archive-mirror.js';
export { openstackImageProperties, type ImageFacts } from './openstack-properties.js';
