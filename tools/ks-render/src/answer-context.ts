import type { Template } from '@ozkit/build-document';
import type { OsRelease } from './os-catalog.js';
import type { KickstartRelease } from './kickstart/kickstart-grammar.js';
import type { LintLevel } from './kickstart/kickstart-lint.js';

/** The per-build values every answer-file renderer weaves in. */
export interface BuildAccess {
  /** One OpenSSH public key line (`ssh-ed25519 AAAA… comment`). */
  publicKey: string;
  /** Written to the serial console as the last step of a successful install. */
  marker: string;
  /** Written instead of the marker when the build access could not be put in place. */
  failedMarker: string;
  /** Written as early as the installer allows: proof that it read this answer file. */
  loadedMarker: string;
  /** The guest's serial console device the markers go to (ttyS0 on x86). */
  serialDevice: string;
}

export interface RenderContext {
  os: OsRelease;
  template: Template;
  /** A valid host name derived from the template name. */
  hostname: string;
  access: BuildAccess;
  /** crypt(3) SHA-512 hash of the root password; undefined = keep what a user file sets. */
  rootHash?: string;
  /** The TDL asks for packages, files, commands or repositories: guest-customize needs sshd. */
  customizationFollows: boolean;
  /** Serial console for the installed system's kernel and the installer. */
  serialConsole: string;
  /** How grammar problems count (`--lint`). */
  lint: LintLevel;
  /** The kickstart grammar of the release (kickstart only; undefined for an OS without a table). */
  kickstartRelease?: KickstartRelease;
  /** Where a default preseed's archive comes from when the TDL gives no url tree. */
  mirrors: MirrorSettings;
  /** `[cache] packages`: the package cache's URL as the guest sees it, the installer's HTTP proxy. */
  packageProxy?: string;
}

/** `[ozkit] debian_mirror` / `ubuntu_mirror` (they win), else the host's apt sources read under `aptRoot`. */
export interface MirrorSettings {
  debian?: string;
  ubuntu?: string;
  /** Tests: a host root other than `/`. */
  aptRoot?: string;
}

/** What a renderer hands back: the text, notes for stderr, and the sshd verdict. */
export interface RenderedAnswer {
  text: string;
  notes: string[];
  warnings: string[];
  sshd: boolean;
}

/** An answer-file problem with its place, before it becomes an OzkitError. */
export interface AnswerProblem {
  line?: number;
  column?: number;
  message: string;
  hint?: string;
}

export const SERIAL_CONSOLE = 'ttyS0,115200n8';

/** The first serial console per architecture (QEMU's default machines) and its console= value. */
export function serialConsoleFor(arch: string): { device: string; console: string } {
  if (arch === 'aarch64' || arch === 'armv7l') return { device: 'ttyAMA0', console: 'ttyAMA0,115200n8' };
  if (arch === 'ppc64' || arch === 'ppc64le') return { device: 'hvc0', console: 'hvc0' };
  if (arch === 's390x') return { device: 'ttysclp0', console: 'ttysclp0' };
  return { device: 'ttyS0', console: SERIAL_CONSOLE };
}

/** RFC 1123 host label from any template name (the TDL name may hold anything). */
export function hostnameFor(name: string): string {
  const label = name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/g, '');
  return label === '' ? 'ozkit' : label;
}

/** An install URL safe to place in any answer file: RFC 3986 characters only, http(s)/ftp/nfs. */
export function checkedInstallUrl(url: string): string | undefined {
  if (!/^[A-Za-z0-9\-._~:/?#[\]@!&()*+,;=%]+$/.test(url)) return undefined;
  if (!/^(https?|ftp|nfs):\/\//i.test(url)) return undefined;
  return url;
}
