import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OzkitError } from '@ozkit/errors';
import { configKeyFor, settingSources, type SettingName } from '@ozkit/config';

const envVarFor = (name: SettingName): string => settingSources(name).env;
import { parseOsRelease } from '@ozkit/inventory';
import { readAptSources, type AptSource } from './apt-sources.js';

/** The distributions whose archive a preseed or the test installer names. */
export type ArchiveDistro = 'debian' | 'ubuntu';

export interface ArchiveMirror {
  /** The archive, e.g. `http://mirror.example/debian` (no trailing slash). */
  url: string;
  /** The security archive (`…/debian-security`) when the host's apt sources name one. */
  security?: string;
  /** Where it came from, for logs: the setting's names, or the apt sources' `FILE:LINE`. */
  source: string;
}

const SETTING: Record<ArchiveDistro, SettingName> = { debian: 'debianMirror', ubuntu: 'ubuntuMirror' };
const LABEL: Record<ArchiveDistro, string> = { debian: 'Debian', ubuntu: 'Ubuntu' };

/** Suites apt may name a release by when the host's os-release has no codename (Debian sid). */
const UNNAMED_RELEASE_SUITES = ['sid', 'unstable', 'testing', 'stable'];

function hostOsRelease(root: string): { id: string; codename?: string } | undefined {
  for (const path of ['etc/os-release', 'usr/lib/os-release']) {
    try {
      const release = parseOsRelease(readFileSync(join(root, path), 'utf8'));
      return { id: release.id, codename: release.versionCodename };
    } catch {
      // The next candidate, as systemd reads them.
    }
  }
  return undefined;
}

const httpUri = (s: AptSource) => s.uris.find((u) => /^https?:\/\//i.test(u) && URL.canParse(u));
const usable = (s: AptSource) => s.enabled && s.types.includes('deb') && httpUri(s) !== undefined;
const trimmed = (uri: string) => uri.replace(/\/+$/, '');

/**
 * The archive (and security archive) the host's own apt installs `distro` from: the first enabled
 * `deb` entry for the host's release with `main`, read under `root` (default `/`). Undefined when
 * the host runs another distribution or names no such entry.
 */
export function hostArchiveMirror(distro: ArchiveDistro, root = '/'): ArchiveMirror | undefined {
  const host = hostOsRelease(root);
  if (host?.id !== distro) return undefined;
  const sources = readAptSources(root).filter(usable);
  const release = host.codename ? [host.codename] : UNNAMED_RELEASE_SUITES;
  const archive = sources.find((s) => s.components.includes('main') && s.suites.some((suite) => release.includes(suite)));
  if (!archive) return undefined;
  const securitySuites = release.flatMap((r) => [`${r}-security`, `${r}/updates`]);
  const security = sources.find((s) => s.suites.some((suite) => securitySuites.includes(suite)));
  return {
    url: trimmed(httpUri(archive)!),
    ...(security ? { security: trimmed(httpUri(security)!) } : {}),
    source: `${archive.file}:${archive.line}`,
  };
}

export interface ArchiveMirrorOptions {
  /** The setting's value (`OZKIT_DEBIAN_MIRROR` / `[ozkit] debian_mirror`, or the Ubuntu pair): it wins. */
  setting?: string;
  /** Where the host's apt sources and os-release are read (tests). */
  root?: string;
}

/**
 * The archive a build uses for `distro`: the setting, else the host's apt sources when the host
 * runs the same distribution, else a usage error (64) naming the setting. Never a built-in host.
 */
export function archiveMirror(distro: ArchiveDistro, options: ArchiveMirrorOptions = {}): ArchiveMirror {
  const root = options.root ?? '/';
  const host = hostArchiveMirror(distro, root);
  const setting = SETTING[distro];
  if (options.setting)
    return { url: options.setting, ...(host?.security ? { security: host.security } : {}), source: `${envVarFor(setting)} / ${configKeyFor(setting)}` };
  if (host) return host;
  const hostRelease = hostOsRelease(root);
  const why =
    hostRelease?.id === distro
      ? `the host's apt sources (${join(root, 'etc/apt')}) name no ${LABEL[distro]} archive`
      : `the host is not ${LABEL[distro]}, so its apt sources cannot serve`;
  throw new OzkitError('USAGE', `no ${LABEL[distro]} archive mirror: ${envVarFor(setting)} is not set and ${why}`, {
    hint: `set ${envVarFor(setting)}=http://<your mirror>/${distro} or ${configKeyFor(setting)} in the config file`,
  });
}
