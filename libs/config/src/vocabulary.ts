import type { SettingName, Settings } from './settings.js';

/**
 * How a flag's value is read. `seconds` takes 1200, 20m or 2h; `number` a plain number. A flag
 * that sets a setting hands its text to the setting's parser, so a flag, its environment variable
 * and its config key accept the same values and refuse them with the same message.
 */
export type OptionKind = 'string' | 'number' | 'seconds' | 'boolean' | 'count';

/** One flag, described once: what --help prints, what the README table shows, what the parser accepts. */
export interface OptionDescriptor {
  kind: OptionKind;
  /** One-letter alias (`-c`). */
  short?: string;
  /** Placeholder for the value in --help and the README (`SECONDS`, `FILE`). */
  value?: string;
  choices?: readonly string[];
  /** The value may be left out (`--image` alone: the document's image); it then reads as ''. */
  valueOptional?: boolean;
  /** May be given more than once; the values come as a list. */
  repeatable?: boolean;
  default?: string | number | boolean;
  /** The setting behind the flag: its environment variable and config keys come from the setting. */
  setting?: SettingName;
  /** Old names still accepted, with a warning naming the new one. */
  deprecated?: readonly string[];
  describe: string;
}

export type OptionSet = Readonly<Record<string, OptionDescriptor>>;

/**
 * Every flag more than one tool has, by its one name. A tool takes the entries it needs
 * (`tools/<tool>/src/options.ts`) and may reword `describe`; kind, alias and setting stay as
 * here (test/option-vocabulary.test.ts checks that a tool's flag of the same name agrees).
 */
export const vocabulary = {
  config: { kind: 'string', short: 'c', value: 'FILE', describe: "config file (ozkit INI; Oz's oz.cfg is accepted)" },
  verbose: { kind: 'count', short: 'v', describe: 'more detail; stack traces on errors (repeat for more)' },
  quiet: { kind: 'boolean', short: 'q', describe: 'errors only' },
  'log-format': { kind: 'string', value: 'FORMAT', choices: ['text', 'json'], default: 'text', describe: 'stderr as text or NDJSON events' },
  in: { kind: 'string', value: 'FILE', describe: 'read the build document from FILE instead of stdin' },
  out: {
    kind: 'string',
    value: 'FILE',
    describe: 'write the build document to FILE instead of stdout, atomically and only when the tool succeeds (a failed run writes FILE.failed.json)',
  },

  workdir: { kind: 'string', value: 'DIR', setting: 'workdir', describe: 'build directory' },
  'cache-dir': { kind: 'string', value: 'DIR', setting: 'cacheDir', describe: 'cache directory (media, JEOS images, url contents)' },
  offline: { kind: 'boolean', setting: 'offline', describe: 'use only cached content; a cache miss fails (exit 69) naming what is missing' },
  'screenshot-dir': { kind: 'string', value: 'DIR', setting: 'screenshotDir', describe: 'where failure screenshots go (default the workdir)' },

  connect: {
    kind: 'string',
    value: 'URI',
    setting: 'connect',
    describe: 'run guests as libvirt domains at this URI (qemu:///system, qemu+ssh://user@host/system) instead of QEMU directly',
  },
  'virt-type': { kind: 'string', value: 'TYPE', choices: ['kvm', 'qemu'], setting: 'virtType', describe: 'libvirt domain type (default kvm where it really works)' },
  pool: { kind: 'string', value: 'POOL', setting: 'pool', describe: 'libvirt storage pool for disks and media on a remote hypervisor' },
  'bridge-name': { kind: 'string', value: 'BRIDGE', setting: 'bridgeName', describe: 'libvirt only: put the guest on this bridge instead of user-mode networking' },

  accel: {
    kind: 'string',
    value: 'ACCEL',
    choices: ['auto', 'kvm', 'tcg'],
    setting: 'accel',
    describe: 'accelerator; auto = KVM only if a probe guest really runs',
  },
  cpus: { kind: 'number', value: 'N', setting: 'cpus', describe: 'guest CPUs' },
  memory: { kind: 'number', value: 'MIB', setting: 'memoryMiB', describe: 'guest memory in MiB' },
  'output-format': {
    kind: 'string',
    value: 'FORMAT',
    choices: ['qcow2', 'raw', 'vmdk', 'vhdx', 'vpc'],
    setting: 'outputFormat',
    describe:
      "the customized image's format: qcow2, raw, vmdk (streamOptimized: vSphere/OVA), vhdx (Hyper-V) or vpc (fixed VHD, MiB-aligned: Azure); default the installed disk's",
  },
  'target-cloud': {
    kind: 'string',
    value: 'CLOUD',
    choices: ['openstack', 'nocloud', 'ec2', 'gce', 'azure', 'none'],
    setting: 'targetCloud',
    describe: "the cloud the image is for: cloud-init's datasource_list is pinned to it (none: as the distribution ships it)",
  },
  'boot-iso-format': {
    kind: 'string',
    value: 'FORMAT',
    choices: ['qcow2', 'raw'],
    setting: 'bootIsoFormat',
    describe:
      'the remastered ISO: qcow2 = an overlay holding only the changes, backed by the cached original (nothing else is copied); raw = a plain ISO file of its own',
  },
  'image-type': { kind: 'string', value: 'FORMAT', choices: ['qcow2', 'raw'], setting: 'imageType', describe: 'disk format' },
  'disk-bus': {
    kind: 'string',
    short: 'b',
    value: 'BUS',
    choices: ['auto', 'virtio', 'ide'],
    setting: 'diskBus',
    describe: 'disk bus (auto: virtio, ide for old guests)',
  },
  timeout: { kind: 'seconds', short: 't', value: 'SECONDS', setting: 'timeoutInstall', describe: 'total install timeout in seconds, or 20m/1h' },
  inactivity: { kind: 'seconds', value: 'SECONDS', setting: 'timeoutInactivity', describe: 'fail after this long without disk/network activity' },
  'boot-timeout': { kind: 'seconds', value: 'SECONDS', setting: 'timeoutBoot', deprecated: ['timeout-boot'], describe: 'seconds to wait for SSH after boot' },
  'shutdown-timeout': {
    kind: 'seconds',
    value: 'SECONDS',
    setting: 'timeoutShutdown',
    deprecated: ['timeout-shutdown'],
    describe: 'seconds to wait for ACPI power-off',
  },
  'jeos-cache': { kind: 'boolean', setting: 'cacheJeos', describe: 'reuse/store installed images by content key; --no-jeos-cache disables' },
  'package-cache': {
    kind: 'boolean',
    setting: 'cachePackages',
    describe:
      'download packages through a host-side cache (apt-cacher-ng on 127.0.0.1, shared by every build; the guest sees it at 10.0.2.2) while the image is built; sealing removes the setting',
  },
  lint: {
    kind: 'string',
    value: 'LEVEL',
    choices: ['error', 'warn', 'off'],
    setting: 'lint',
    describe: 'the release grammar check of an --auto file: refuse (error), only report (warn) or skip (off)',
  },

  console: { kind: 'boolean', default: false, describe: 'copy the guest serial console to stderr' },
  'keep-failed': { kind: 'boolean', default: false, describe: 'on failure keep the partial disk image for inspection' },
  key: { kind: 'string', value: 'FILE', describe: 'private key to log in with (default the build key in the document)' },
  output: { kind: 'string', short: 'o', value: 'FILE', describe: "where the stage's product goes" },
} as const satisfies OptionSet;

/** The options every tool has. */
export const commonOptionNames = ['config', 'verbose', 'quiet', 'log-format'] as const;
/** The options of every stage that reads and writes a build document. */
export const documentOptionNames = ['in', 'out'] as const;
/** The options of the stages that run a guest: which hypervisor runs it (libvirt when a URI is given). */
export const hypervisorOptionNames = ['connect', 'virt-type', 'pool', 'bridge-name'] as const;

export type VocabularyName = keyof typeof vocabulary;

/** The vocabulary entries named, as an option set to spread into a tool's own. */
export function vocabularyOptions<const N extends VocabularyName>(...names: readonly (readonly N[] | N)[]): { [K in N]: (typeof vocabulary)[K] } {
  const out: Record<string, OptionDescriptor> = {};
  for (const name of names.flat() as N[]) out[name] = vocabulary[name];
  return out as { [K in N]: (typeof vocabulary)[K] };
}

/** The flag that sets a setting, for messages (`--memory`, never a name derived from `memoryMiB`). */
export function flagOfSetting(name: SettingName): string | undefined {
  for (const [flag, option] of Object.entries(vocabulary) as [string, OptionDescriptor][]) if (option.setting === name) return `--${flag}`;
  return undefined;
}

type ValueOf<D extends OptionDescriptor> = D extends { kind: 'boolean' }
  ? boolean
  : D extends { kind: 'count' }
    ? number
    : D extends { repeatable: true }
      ? string[]
      : D extends { setting: SettingName }
        ? string
        : D extends { kind: 'number' }
          ? number
          : string;

/** What a parsed command line holds for an option set: the flags by name, positionals in `_`. */
export type ArgsOf<O extends OptionSet> = {
  -readonly [K in keyof O]: O[K] extends { default: unknown } ? ValueOf<O[K]> : ValueOf<O[K]> | undefined;
} & { _: (string | number)[] };

/**
 * The settings a command line sets, for loadConfig's `flags`: each value still as typed, so the
 * setting's own parser checks it (`--memory 2x` fails like OZKIT_MEMORY=2x does, exit 64).
 */
export function settingFlags(options: OptionSet, args: Readonly<Record<string, unknown>>): { [K in SettingName]?: Settings[K] | string } {
  const flags: Record<string, string | boolean> = {};
  for (const [flag, option] of Object.entries(options)) {
    const value = args[flag];
    if (option.setting === undefined || value === undefined) continue;
    flags[option.setting] = typeof value === 'boolean' ? value : String(value);
  }
  // Only boolean flags give booleans, and they set boolean settings.
  return flags as { [K in SettingName]?: Settings[K] | string };
}
