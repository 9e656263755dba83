/** ks-render's OS facts (answer format, per-release syntax, archive defaults) come from the one catalog. */
export { resolveOs, SUPPORTED_OS_NAMES, FEDORA_NEWEST, type OsRelease, type KickstartSyntax, type Distro } from '@ozkit/os-catalog';
