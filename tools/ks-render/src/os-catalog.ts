/** ks-render's OS facts (answer format, per-release syntax, the archive mirror) come from the one catalog. */
export { resolveOs, SUPPORTED_OS_NAMES, FEDORA_NEWEST, type OsRelease, type KickstartSyntax, type Distro } from '@ozkit/os-catalog';
export { archiveMirror, type ArchiveMirror } from '@ozkit/os-catalog';
