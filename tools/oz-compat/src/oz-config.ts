import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { OzkitError } from '@ozkit/errors';
import { loadConfig, safeName, type LoadedConfig } from '@ozkit/config';

export interface OzEnvironment {
  env: NodeJS.ProcessEnv;
  home: string;
  /** Oz's defaults differ for root (system paths) and other users (~/.oz). */
  isRoot: boolean;
}

export const currentEnvironment = (): OzEnvironment => ({ env: process.env, home: homedir(), isRoot: process.geteuid?.() === 0 });

/**
 * The config file Oz reads: `-c FILE` (which must exist), else `~/.oz/oz.cfg`, else — for root
 * only, as in Oz — `/etc/oz/oz.cfg`; none at all is fine (defaults).
 */
export function ozConfigFile(explicit: string | undefined, where: OzEnvironment, systemFile = '/etc/oz/oz.cfg'): string | undefined {
  if (explicit !== undefined) return explicit.startsWith('~/') ? join(where.home, explicit.slice(2)) : explicit;
  const user = join(where.home, '.oz', 'oz.cfg');
  if (existsSync(user)) return user;
  if (where.isRoot && existsSync(systemFile)) return systemFile;
  return undefined;
}

/** What the Oz commands need from the config beyond what the stages read themselves. */
export interface OzSettings {
  config: LoadedConfig;
  /** The file the stages get with `-c` (undefined: none found). */
  configFile: string | undefined;
  /** `[paths] output_dir`: where images go (Oz: /var/lib/libvirt/images for root, else ~/.oz/images). */
  outputDir: string;
  /** `[libvirt] image_type` (Oz's default: raw). */
  imageType: 'raw' | 'qcow2';
}

export function ozSettings(explicit: string | undefined, where: OzEnvironment = currentEnvironment()): OzSettings {
  const configFile = ozConfigFile(explicit, where);
  const config = loadConfig({ configFile, env: where.env });
  const outputDir = config.settings.outputDir ?? (where.isRoot ? '/var/lib/libvirt/images' : join(where.home, '.oz', 'images'));
  if (!isAbsolute(outputDir)) throw new OzkitError('BAD_CONFIG', `${configFile}: [paths] output_dir must be an absolute path (got ${outputDir})`);
  const imageType = config.origins.imageType === 'default' ? 'raw' : config.settings.imageType;
  return { config, configFile, outputDir, imageType };
}

/** Oz's image path: `<output_dir>/<name>.<image_type>`, raw as `.dsk` (Oz keeps that older name). */
export function ozImagePath(settings: Pick<OzSettings, 'outputDir' | 'imageType'>, templateName: string): string {
  return join(settings.outputDir, `${templateName}.${settings.imageType === 'raw' ? 'dsk' : settings.imageType}`);
}

/** Where a build's documents, key and logs live: $OZKIT_WORKDIR, else `<cache>/oz-compat/<name>`. */
export function ozBuildDir(config: LoadedConfig, templateName: string): string {
  return config.settings.workdir ?? join(config.settings.cacheDir, 'oz-compat', safeName(templateName));
}

/** Oz's default libvirt XML name: the guest's name and the time, in the current directory. */
export function ozLibvirtXmlName(templateName: string, now = new Date()): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const two = (n: number) => String(n).padStart(2, '0');
  return `${templateName}${months[now.getMonth()]}_${two(now.getDate())}_${now.getFullYear()}-${two(now.getHours())}:${two(now.getMinutes())}:${two(now.getSeconds())}`;
}
