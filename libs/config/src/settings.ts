import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { readFileSync, existsSync } from 'node:fs';
import { OzkitError } from '@ozkit/errors';
import { parseIni, type IniDocument } from './ini.js';
import { flagOfSetting } from './vocabulary.js';

export type ImageType = 'qcow2' | 'raw';
/** iso-fetch's remastered ISO: a qcow2 overlay on the cached original, or a plain ISO file of its own. */
export type BootIsoFormat = 'qcow2' | 'raw';
/** guest-customize's output (vmdk streamOptimized, vhdx, vpc fixed for clouds). */
export type OutputFormat = 'qcow2' | 'raw' | 'vmdk' | 'vhdx' | 'vpc';
export type Accel = 'auto' | 'kvm' | 'tcg';
export type DiskBus = 'auto' | 'virtio' | 'ide';
export type VirtType = 'kvm' | 'qemu';
/** ks-render's grammar check: refuse, warn or skip. */
export type LintLevel = 'error' | 'warn' | 'off';
/** The cloud an image is sealed for (guest-customize pins cloud-init's datasource to it; none: as shipped). */
export type TargetCloud = 'openstack' | 'nocloud' | 'ec2' | 'gce' | 'azure' | 'none';
export const TARGET_CLOUDS: readonly TargetCloud[] = ['openstack', 'nocloud', 'ec2', 'gce', 'azure', 'none'];

/** Every setting a tool may read. Flags > OZKIT_* environment > config file > defaults. */
export interface Settings {
  cacheDir: string;
  /** Parent of default workdirs (Oz's [paths] output_dir). */
  outputDir: string | undefined;
  workdir: string | undefined;
  screenshotDir: string | undefined;
  cpus: number;
  memoryMiB: number;
  imageType: ImageType;
  /** guest-customize's output format; unset: the installed disk's (qcow2 when compressing). */
  outputFormat: OutputFormat | undefined;
  accel: Accel;
  diskBus: DiskBus;
  cacheOriginalMedia: boolean;
  cacheModifiedMedia: boolean;
  bootIsoFormat: BootIsoFormat;
  cacheJeos: boolean;
  /** A host-side package cache (apt-cacher-ng on 127.0.0.1) the guest downloads through while it is built. */
  cachePackages: boolean;
  /** Its port on 127.0.0.1 (the guest reaches it at 10.0.2.2). */
  packageCachePort: number;
  icicleSafeGeneration: boolean;
  timeoutInstall: number;
  timeoutInactivity: number;
  timeoutBoot: number;
  timeoutShutdown: number;
  offline: boolean;
  /** A libvirt URI: guests run as libvirt domains there. Unset: QEMU run directly. */
  connect: string | undefined;
  /** libvirt domain type (Oz's [libvirt] type); unset: kvm where it really works, else qemu. */
  virtType: VirtType | undefined;
  /** Storage pool for disks and media on a remote hypervisor. */
  pool: string;
  /** Oz's [libvirt] bridge_name: the guest's NIC on this bridge (libvirt only). */
  bridgeName: string | undefined;
  lint: LintLevel;
  /** The Debian / Ubuntu archive a default preseed installs from; unset: the host's apt sources. */
  debianMirror: string | undefined;
  ubuntuMirror: string | undefined;
  targetCloud: TargetCloud;
}

export type SettingName = keyof Settings;

type Parser<T> = (raw: string, where: string) => T;

interface SettingSpec<T> {
  env: string;
  /** A path given as a flag may be relative (to the current directory); in the environment or a config file it may not. */
  relativeFlag?: boolean;
  /** [section, key] pairs in the config file, first found wins (ozkit's own, then Oz's). */
  ini: [string, string][];
  parse: Parser<T>;
  default: (env: NodeJS.ProcessEnv) => T;
}

const bad = (where: string, message: string) => new OzkitError('BAD_CONFIG', `${where}: ${message}`);

export const parseBoolean: Parser<boolean> = (raw, where) => {
  const v = raw.trim().toLowerCase();
  if (['1', 'yes', 'true', 'on'].includes(v)) return true;
  if (['0', 'no', 'false', 'off'].includes(v)) return false;
  throw bad(where, `"${raw}" is not a boolean (use yes/no, true/false, on/off, 1/0)`);
};

const positiveInteger: Parser<number> = (raw, where) => {
  const v = raw.trim();
  if (!/^[0-9]+$/.test(v) || Number(v) < 1) throw bad(where, `"${raw}" is not a positive whole number`);
  return Number(v);
};

/** Seconds; also accepts `90s`, `20m`, `2h` for convenience. */
export const parseSeconds: Parser<number> = (raw, where) => {
  const m = /^\s*([0-9]+)\s*(s|m|h)?\s*$/i.exec(raw);
  if (!m || Number(m[1]) < 1) throw bad(where, `"${raw}" is not a duration in seconds (e.g. 1200, 20m, 2h)`);
  const factor = { s: 1, m: 60, h: 3600 }[(m[2] ?? 's').toLowerCase() as 's' | 'm' | 'h'];
  return Number(m[1]) * factor;
};

/** A TCP port apt-cacher-ng can bind: it fails to bind anything above 32767 (3.7.4). */
const packageCachePort: Parser<number> = (raw, where) => {
  const port = positiveInteger(raw, where);
  if (port > 32767) throw bad(where, `"${raw}" is not a port apt-cacher-ng can listen on (1 to 32767)`);
  return port;
};

const oneOf =
  <T extends string>(...values: T[]): Parser<T> =>
  (raw, where) => {
    const v = raw.trim().toLowerCase() as T;
    if (!values.includes(v)) throw bad(where, `"${raw}" must be one of ${values.join(', ')}`);
    return v;
  };

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? join(homedir(), p.slice(1)) : p;
}

const absolutePath: Parser<string> = (raw, where) => {
  const p = expandHome(raw.trim());
  if (!isAbsolute(p)) throw bad(where, `"${raw}" must be an absolute path`);
  return p;
};

const optionalPath: Parser<string | undefined> = (raw, where) => absolutePath(raw, where);

/** An archive mirror: an http(s) URL without query or fragment, kept without a trailing slash. */
export const parseMirrorUrl: Parser<string> = (raw, where) => {
  let url: URL | undefined;
  try {
    url = new URL(raw.trim());
  } catch {
    url = undefined;
  }
  if (!url || !/^https?:$/.test(url.protocol) || url.search || url.hash || url.username || url.password)
    throw bad(where, `"${raw}" is not an http(s) mirror URL (e.g. http://mirror.example/debian)`);
  return url.href.replace(/\/+$/, '');
};

export function defaultCacheDir(env: NodeJS.ProcessEnv): string {
  const xdg = env.XDG_CACHE_HOME;
  return xdg && isAbsolute(xdg) ? join(xdg, 'ozkit') : join(homedir(), '.cache', 'ozkit');
}

const specs: { [K in SettingName]: SettingSpec<Settings[K]> } = {
  cacheDir: {
    env: 'OZKIT_CACHE_DIR',
    relativeFlag: true,
    ini: [
      ['paths', 'cache_dir'],
      ['paths', 'data_dir'],
    ],
    parse: absolutePath,
    default: defaultCacheDir,
  },
  outputDir: { env: 'OZKIT_OUTPUT_DIR', ini: [['paths', 'output_dir']], parse: optionalPath, default: () => undefined },
  workdir: { env: 'OZKIT_WORKDIR', ini: [], parse: (raw) => resolve(expandHome(raw.trim())), default: () => undefined },
  screenshotDir: { env: 'OZKIT_SCREENSHOT_DIR', relativeFlag: true, ini: [['paths', 'screenshot_dir']], parse: optionalPath, default: () => undefined },
  cpus: {
    env: 'OZKIT_CPUS',
    ini: [
      ['qemu', 'cpus'],
      ['libvirt', 'cpus'],
    ],
    parse: positiveInteger,
    default: () => 1,
  },
  memoryMiB: {
    env: 'OZKIT_MEMORY',
    ini: [
      ['qemu', 'memory'],
      ['libvirt', 'memory'],
    ],
    parse: positiveInteger,
    default: () => 2048,
  },
  imageType: {
    env: 'OZKIT_IMAGE_TYPE',
    ini: [
      ['qemu', 'image_type'],
      ['libvirt', 'image_type'],
    ],
    parse: oneOf<ImageType>('qcow2', 'raw'),
    default: () => 'qcow2',
  },
  outputFormat: {
    env: 'OZKIT_OUTPUT_FORMAT',
    ini: [['ozkit', 'output_format']],
    parse: (raw, where) => oneOf<OutputFormat>('qcow2', 'raw', 'vmdk', 'vhdx', 'vpc')(raw, where),
    default: () => undefined,
  },
  accel: { env: 'OZKIT_ACCEL', ini: [['qemu', 'accel']], parse: oneOf<Accel>('auto', 'kvm', 'tcg'), default: () => 'auto' },
  diskBus: { env: 'OZKIT_DISK_BUS', ini: [['qemu', 'disk_bus']], parse: oneOf<DiskBus>('auto', 'virtio', 'ide'), default: () => 'auto' },
  cacheOriginalMedia: { env: 'OZKIT_CACHE_ORIGINAL_MEDIA', ini: [['cache', 'original_media']], parse: parseBoolean, default: () => true },
  cacheModifiedMedia: { env: 'OZKIT_CACHE_MODIFIED_MEDIA', ini: [['cache', 'modified_media']], parse: parseBoolean, default: () => true },
  bootIsoFormat: { env: 'OZKIT_BOOT_ISO_FORMAT', ini: [['ozkit', 'boot_iso_format']], parse: oneOf<BootIsoFormat>('qcow2', 'raw'), default: () => 'qcow2' },
  cacheJeos: { env: 'OZKIT_CACHE_JEOS', ini: [['cache', 'jeos']], parse: parseBoolean, default: () => false },
  cachePackages: { env: 'OZKIT_CACHE_PACKAGES', ini: [['cache', 'packages']], parse: parseBoolean, default: () => false },
  packageCachePort: { env: 'OZKIT_PACKAGE_CACHE_PORT', ini: [['cache', 'packages_port']], parse: packageCachePort, default: () => 3143 },
  icicleSafeGeneration: { env: 'OZKIT_ICICLE_SAFE_GENERATION', ini: [['icicle', 'safe_generation']], parse: parseBoolean, default: () => false },
  timeoutInstall: { env: 'OZKIT_TIMEOUT_INSTALL', ini: [['timeouts', 'install']], parse: parseSeconds, default: () => 1200 },
  timeoutInactivity: { env: 'OZKIT_TIMEOUT_INACTIVITY', ini: [['timeouts', 'inactivity']], parse: parseSeconds, default: () => 300 },
  timeoutBoot: { env: 'OZKIT_TIMEOUT_BOOT', ini: [['timeouts', 'boot']], parse: parseSeconds, default: () => 300 },
  timeoutShutdown: { env: 'OZKIT_TIMEOUT_SHUTDOWN', ini: [['timeouts', 'shutdown']], parse: parseSeconds, default: () => 90 },
  offline: { env: 'OZKIT_OFFLINE', ini: [['cache', 'offline']], parse: parseBoolean, default: () => false },
  connect: { env: 'OZKIT_CONNECT', ini: [['libvirt', 'uri']], parse: (raw) => raw.trim(), default: () => undefined },
  virtType: { env: 'OZKIT_VIRT_TYPE', ini: [['libvirt', 'type']], parse: (raw, where) => oneOf<VirtType>('kvm', 'qemu')(raw, where), default: () => undefined },
  pool: { env: 'OZKIT_POOL', ini: [['libvirt', 'pool']], parse: (raw) => raw.trim(), default: () => 'default' },
  bridgeName: { env: 'OZKIT_BRIDGE_NAME', ini: [['libvirt', 'bridge_name']], parse: (raw) => raw.trim(), default: () => undefined },
  lint: { env: 'OZKIT_LINT', ini: [['ozkit', 'lint']], parse: oneOf<LintLevel>('error', 'warn', 'off'), default: () => 'error' },
  debianMirror: { env: 'OZKIT_DEBIAN_MIRROR', ini: [['ozkit', 'debian_mirror']], parse: parseMirrorUrl, default: () => undefined },
  ubuntuMirror: { env: 'OZKIT_UBUNTU_MIRROR', ini: [['ozkit', 'ubuntu_mirror']], parse: parseMirrorUrl, default: () => undefined },
  targetCloud: { env: 'OZKIT_TARGET_CLOUD', ini: [['ozkit', 'target_cloud']], parse: oneOf<TargetCloud>(...TARGET_CLOUDS), default: () => 'openstack' },
};

export type SettingOrigin = 'flag' | 'env' | 'default' | { file: string; line: number };

export interface LoadedConfig {
  settings: Settings;
  origins: Record<SettingName, SettingOrigin>;
  /** The config file read, if any. */
  file?: string;
}

export interface LoadConfigOptions {
  /** `-c/--config FILE`: must exist. */
  configFile?: string;
  /**
   * Values given as flags (undefined = not given). Strings are parsed like env values; one the
   * setting refuses is a usage error (64) naming the flag.
   */
  flags?: { [K in SettingName]?: Settings[K] | string };
  env?: NodeJS.ProcessEnv;
}

/** Where a config file is looked for when `-c` is not given. */
export function defaultConfigPath(env: NodeJS.ProcessEnv): string | undefined {
  if (env.OZKIT_CONFIG) return env.OZKIT_CONFIG;
  const base = env.XDG_CONFIG_HOME && isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : join(homedir(), '.config');
  const candidate = join(base, 'ozkit', 'ozkit.cfg');
  return existsSync(candidate) ? candidate : undefined;
}

export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const file = options.configFile ?? defaultConfigPath(env);
  let ini: IniDocument | undefined;
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new OzkitError('INPUT_MISSING', `${file}: cannot read config file: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {
        hint: options.configFile ? 'check the path given to -c/--config' : 'check $OZKIT_CONFIG',
      });
    }
    ini = parseIni(text, file);
  }
  const settings = {} as Record<SettingName, unknown>;
  const origins = {} as Record<SettingName, SettingOrigin>;
  for (const name of Object.keys(specs) as SettingName[]) {
    const spec = specs[name] as SettingSpec<unknown>;
    const flag = options.flags?.[name];
    if (flag !== undefined) {
      settings[name] = typeof flag === 'string' ? parseFlag(spec, name, flag) : flag;
      origins[name] = 'flag';
      continue;
    }
    const envValue = env[spec.env];
    if (envValue !== undefined && envValue !== '') {
      settings[name] = spec.parse(envValue, `$${spec.env}`);
      origins[name] = 'env';
      continue;
    }
    const fromFile = ini && findIni(ini, spec.ini);
    if (fromFile && file) {
      settings[name] = spec.parse(fromFile.value, `${file}:${fromFile.line}:1: [${fromFile.section}] ${fromFile.key}`);
      origins[name] = { file, line: fromFile.line };
      continue;
    }
    settings[name] = spec.default(env);
    origins[name] = 'default';
  }
  return { settings: settings as unknown as Settings, origins, file };
}

function findIni(ini: IniDocument, keys: [string, string][]) {
  for (const [section, key] of keys) {
    const v = ini.get(section)?.get(key);
    if (v) return { ...v, section, key };
  }
  return undefined;
}

function parseFlag(spec: SettingSpec<unknown>, name: SettingName, raw: string): unknown {
  const flag = flagOfSetting(name) ?? name;
  const text = spec.relativeFlag && raw.trim() !== '' ? resolve(expandHome(raw.trim())) : raw;
  try {
    return spec.parse(text, flag);
  } catch (error) {
    if (error instanceof OzkitError) throw new OzkitError('USAGE', error.message, { hint: `${flag} takes what $${spec.env} and the config file take; see --help` });
    throw error;
  }
}

/** Where else a setting comes from: its environment variable and config keys (for --help and the option tables). */
export function settingSources(name: SettingName): { env: string; config: readonly (readonly [string, string])[]; default?: string | number | boolean } {
  // Defaults that depend on the machine (the cache under $HOME) are described in prose instead.
  const fallback = specs[name].default({});
  const shown = fallback === undefined || (typeof fallback === 'string' && isAbsolute(fallback)) ? undefined : fallback;
  return { env: specs[name].env, config: specs[name].ini, ...(shown !== undefined ? { default: shown } : {}) };
}

/** The config file key behind a setting, as `[section] key` (for hints); undefined if it has none. */
export function configKeyFor(name: SettingName): string | undefined {
  const first = specs[name].ini[0];
  return first ? `[${first[0]}] ${first[1]}` : undefined;
}
