/**
 * The build document: one JSON object passed from stage to stage (docs/architecture.md).
 * Each stage owns one key. Every key is declared here once, as a shape (shape.ts): the shape
 * is the check runStage applies at the pipe and its `Infer` is the TypeScript type, so the
 * two cannot disagree. Keys inside a stage's key are all declared; top-level keys this
 * version does not know pass through untouched (for newer stages).
 */
import {
  absolutePath,
  array,
  boolean,
  integer,
  literal,
  nonEmptyString,
  nullable,
  number,
  object,
  oneOf,
  optional,
  record,
  refine,
  string,
  tagged,
  type Infer,
} from './shape.js';
import { workdirProblem } from './document-paths.js';

export const DOCUMENT_VERSION = 1;

/** Text that goes onto a kernel command line: a line break or other control character would split the boot loader's line. */
const bootArgumentText = () =>
  refine(string(), (value, path) => {
    // eslint-disable-next-line no-control-regex
    const control = /[\u0000-\u001f\u007f]/.exec(value);
    return control
      ? { path, message: `must not contain control characters (found U+${control[0].charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()})` }
      : undefined;
  });

export const ARCHES = ['i386', 'x86_64', 'ppc64', 'ppc64le', 'aarch64', 'armv7l', 's390x'] as const;
export const Arch = literal(...ARCHES);
export type Arch = Infer<typeof Arch>;

const sha256 = string;
const KeyPair = object({ privateKey: absolutePath(), publicKey: absolutePath() });

// ---------------------------------------------------------------- template (tdl-validate)

export const ContentType = literal('raw', 'base64', 'url');
export type ContentType = Infer<typeof ContentType>;

export const TemplateFile = object({
  /** Absolute path in the guest. */
  name: string(),
  type: ContentType,
  /** raw: the text (stripped, as Oz does); base64: the base64 text; url: the URL. */
  content: string(),
});
export type TemplateFile = Infer<typeof TemplateFile>;

export const TemplateCommand = object({
  name: string(),
  type: ContentType,
  content: string(),
  /** 1..N when the TDL uses positions; commands are already sorted by it. */
  position: optional(integer(1)),
});
export type TemplateCommand = Infer<typeof TemplateCommand>;

export const TemplatePackage = object({
  name: nonEmptyString(),
  repository: optional(string()),
  file: optional(string()),
  arguments: optional(string()),
});
export type TemplatePackage = Infer<typeof TemplatePackage>;

export const TemplateRepository = object({
  name: nonEmptyString(),
  url: string(),
  signed: boolean(),
  persisted: boolean(),
  sslverify: boolean(),
});
export type TemplateRepository = Infer<typeof TemplateRepository>;

export const ChecksumKind = literal('md5', 'sha1', 'sha256');
export type ChecksumKind = Infer<typeof ChecksumKind>;

export const IsoExtra = object({ kind: literal('file', 'directory'), source: string(), destination: string() });
export type IsoExtra = Infer<typeof IsoExtra>;

export const InstallSource = tagged('type', {
  iso: object({
    type: literal('iso'),
    iso: nonEmptyString(),
    /** Oz's md5sum/sha1sum/sha256sum: the URL of a SUMS file, or `sha256:<hex>` inline. */
    checksum: optional(object({ kind: ChecksumKind, value: string() })),
    extras: array(IsoExtra),
  }),
  url: object({ type: literal('url'), url: nonEmptyString() }),
});
export type InstallSource = Infer<typeof InstallSource>;

/** Where a secret is, never the secret itself. */
export const SecretReference = object({
  set: literal(true),
  /** Absolute path of the file that holds it. */
  file: absolutePath(),
  line: optional(integer(1)),
  column: optional(integer(1)),
});
export type SecretReference = Infer<typeof SecretReference>;

export const Template = object({
  /** The TDL this came from. */
  source: object({ path: string(), sha256: sha256() }),
  /** The TDL's `version` attribute, if given. */
  version: optional(string()),
  name: nonEmptyString(),
  description: optional(string()),
  os: object({
    name: nonEmptyString(),
    version: nonEmptyString(),
    arch: Arch,
    install: InstallSource,
    /** Present when the TDL sets a root password; read it with @ozkit/tdl `readRootPassword`. */
    rootpw: optional(SecretReference),
    key: optional(string()),
    kernelparam: optional(bootArgumentText()),
    icicle: optional(object({ extraCommand: string() })),
  }),
  disk: object({ sizeBytes: integer(1) }),
  packages: array(TemplatePackage),
  repositories: array(TemplateRepository),
  files: array(TemplateFile),
  commands: array(TemplateCommand),
  precommands: array(TemplateCommand),
});
export type Template = Infer<typeof Template>;

// ---------------------------------------------------------------- answer (ks-render)

export const AnswerFormat = literal('kickstart', 'preseed', 'autoinstall', 'autoyast');
export type AnswerFormat = Infer<typeof AnswerFormat>;
export const OsFamily = literal('redhat', 'debian', 'ubuntu', 'suse');
export type OsFamily = Infer<typeof OsFamily>;

/** How iso-fetch points the installer at the answer file, per place it can be. */
export const AnswerLocator = object({
  /** Arguments when the file is at `placement.onIso` on the boot ISO. */
  iso: array(string()),
  /** Arguments when it is at `placement.inInitrd` in the initrd ([] = the installer looks there by itself). */
  initrd: array(string()),
  /** Arguments when it is served over http (`{url}` stands for the address). */
  url: array(string()),
  /** Anaconda's boot-option prefix for inst.repo / inst.stage2 ('' for non-anaconda installers). */
  optionPrefix: string(),
  /** autoinstall only: a second read-only volume labelled CIDATA holding user-data and meta-data also works. */
  cidata: optional(object({ label: string(), args: array(string()) })),
});
export type AnswerLocator = Infer<typeof AnswerLocator>;

export const GeneratedSecret = object({ generated: literal(true), file: absolutePath() });

export const Answer = object({
  format: AnswerFormat,
  family: OsFamily,
  /** The answer file in the workdir (for autoinstall: user-data). */
  path: absolutePath(),
  sha256: sha256(),
  /**
   * sha256 of the answer file with the per-build parts (build key, marker) replaced by fixed
   * placeholders: two builds that would install the same system share it (JEOS cache key).
   */
  stableSha256: sha256(),
  /** Other files the installer needs beside it (autoinstall's meta-data), by name. */
  extraFiles: optional(array(object({ name: string(), path: absolutePath() }))),
  /** Kernel arguments the installer needs besides the ones that locate the answer file. */
  kernelArgs: array(bootArgumentText()),
  /** Where the installer should find the answer file once it is on the media / in the initrd. */
  placement: object({ onIso: absolutePath(), inInitrd: absolutePath() }),
  /** The line the post-install step writes to the serial console when the install completed. */
  marker: nonEmptyString(),
  /** The line it writes instead when its own steps failed (build key or sshd missing). */
  failedMarker: optional(nonEmptyString()),
  /** The line the installer writes once it has read the answer file. */
  loadedMarker: optional(nonEmptyString()),
  /** The per-build SSH key pair (ed25519); private key file is mode 0600. */
  buildKey: KeyPair,
  /** Where the root password is: the TDL, or a generated one in a 0600 file in the workdir. */
  rootPassword: oneOf(SecretReference, GeneratedSecret),
  /** True when the user's own answer file (--auto) was used. */
  user: boolean(),
  /** False when the answer file leaves the system without sshd (then guest-customize cannot run). */
  sshd: boolean(),
  locator: optional(AnswerLocator),
  /** The per-build id inside the marker lines. */
  buildId: optional(string()),
  /** The operating system the answer file was made for (`requested`: the newer one asked for). */
  os: optional(object({ distro: string(), label: string(), major: optional(integer()), minor: optional(integer()), requested: optional(string()) })),
  /** The --auto file it was adapted from. */
  source: optional(absolutePath()),
  /** True when the template has packages, files, commands or repositories for guest-customize. */
  customization: optional(boolean()),
});
export type Answer = Infer<typeof Answer>;

// ---------------------------------------------------------------- media (iso-fetch)

/**
 * How the file at `iso` holds the medium. `raw` (or absent, as before this field): a plain ISO 9660
 * image. `qcow2`: an overlay holding only what the remaster changed (superblock, new session) over
 * the raw original at `isoBacking` (= `media.original.path`); attach it as a qcow2 CD-ROM, or
 * flatten it (`qemu-img convert -O raw`) for a copy of its own.
 */
const IsoFormat = literal('raw', 'qcow2');

export const BootMedia = tagged('method', {
  iso: object({
    method: literal('iso'),
    iso: absolutePath(),
    /**
     * sha256 of the file at `iso` as iso-fetch wrote it. For `isoFormat: qcow2` that is the overlay
     * file itself, not the medium it presents: the medium is that overlay over `isoBacking`, whose
     * sha256 is `media.original.sha256`.
     */
    sha256: sha256(),
    isoFormat: optional(IsoFormat),
    /** The raw file a qcow2 `iso` is backed by (named in its header as well). */
    isoBacking: optional(absolutePath()),
  }),
  kernel: object({
    method: literal('kernel'),
    kernel: absolutePath(),
    initrd: absolutePath(),
    append: string(),
    /** An ISO to attach as CD-ROM as well (the original media, for installers that read it). */
    iso: optional(absolutePath()),
    isoFormat: optional(IsoFormat),
    isoBacking: optional(absolutePath()),
  }),
});
export type BootMedia = Infer<typeof BootMedia>;

const FetchedFileRecord = object({ url: string(), path: absolutePath(), sha256: sha256() });

export const Media = object({
  original: object({
    url: string(),
    kind: literal('iso', 'tree'),
    /** Cached copy (iso) or cached kernel/initrd directory (tree). */
    path: absolutePath(),
    sha256: sha256(),
    bytes: integer(0),
    verified: nullable(object({ kind: string(), source: string() })),
    fromCache: boolean(),
  }),
  boot: BootMedia,
  /** The volume ID kept on a remastered ISO. */
  volumeId: optional(string()),
  /** What iso-fetch found on the ISO: El Torito images, boot configs, the install entry. */
  layout: optional(
    object({
      bios: nullable(string()),
      efi: nullable(string()),
      syslinux: nullable(string()),
      grub: array(string()),
      entry: object({ label: string(), kernel: string(), initrds: array(string()) }),
    }),
  ),
  /** The remastered ISO: configs edited, xorriso mode, and the command line each config now boots. */
  remaster: optional(object({ edited: array(string()), mode: string(), fromCache: boolean(), commandLines: record(string()) })),
  /** A url install: the tree's layout and the kernel and initrd fetched from it. */
  tree: optional(object({ layout: literal('treeinfo', 'pxeboot', 'd-i netboot'), kernel: FetchedFileRecord, initrd: FetchedFileRecord })),
  /** With --iso: the TDL's source and the override that replaced it. */
  requested: optional(object({ tdl: string(), override: string() })),
});
export type Media = Infer<typeof Media>;

// ---------------------------------------------------------------- disk (guest-install)

export const ImageFormat = literal('qcow2', 'raw');
export type ImageFormat = Infer<typeof ImageFormat>;

export const Disk = object({
  path: absolutePath(),
  format: ImageFormat,
  virtualSize: integer(1),
  bus: literal('virtio', 'ide'),
  accel: literal('kvm', 'tcg'),
  installSeconds: number(),
  consoleLog: string(),
  markerSeen: boolean(),
  /** The key pair the image was installed with (differs from answer.buildKey on a JEOS cache hit). */
  buildKey: KeyPair,
  jeos: optional(object({ key: string(), hit: boolean(), path: absolutePath() })),
  /** A JEOS cache hit: a qcow2 overlay on the cached image, or a copy of it. */
  clone: optional(literal('overlay', 'copy')),
  /** A JEOS cache hit whose image has a generated root password: its copy in this workdir. */
  rootPassword: optional(GeneratedSecret),
  /** Absent in documents older than UEFI support: bios. */
  firmware: optional(literal('bios', 'uefi')),
  /** How the installer ended (absent on a JEOS cache hit). */
  ending: optional(literal('poweroff', 'reboot')),
});
export type Disk = Infer<typeof Disk>;

// ---------------------------------------------------------------- customize (guest-customize)

export const InventoryPackage = object({
  name: nonEmptyString(),
  epoch: optional(string()),
  version: string(),
  release: optional(string()),
  arch: string(),
  /** deb: the name `dpkg --get-selections` prints (libc6:amd64 for multi-arch packages). */
  qualifiedName: optional(string()),
  /** deb: dpkg's status abbreviation, e.g. ii, rc, hi. */
  status: optional(string()),
});
export type InventoryPackage = Infer<typeof InventoryPackage>;

export const Inventory = refine(
  object({
    format: literal('rpm', 'deb'),
    packages: array(InventoryPackage),
    /** os/icicle/extra_command output, one line per package, in the same order. */
    extra: optional(array(string())),
    collectedAt: string(),
  }),
  (inventory, path) =>
    inventory.extra !== undefined && inventory.extra.length !== inventory.packages.length
      ? {
          path: `${path}.extra`,
          message: `has ${inventory.extra.length} line(s) for ${inventory.packages.length} package(s); extra_command must print one line per package`,
        }
      : undefined,
);
export type Inventory = Infer<typeof Inventory>;

export const CustomizeStep = object({
  step: literal('repositories', 'precommands', 'packages', 'files', 'commands', 'remove-repositories'),
  name: string(),
  seconds: number(),
  exitCode: optional(integer()),
});
export type CustomizeStep = Infer<typeof CustomizeStep>;

/** What guest-customize can write: the working formats, and the ones clouds import (vSphere/OVA, Hyper-V, Azure). */
export const OUTPUT_FORMATS = ['qcow2', 'raw', 'vmdk', 'vhdx', 'vpc'] as const;
export const OutputFormat = literal(...OUTPUT_FORMATS);
export type OutputFormat = Infer<typeof OutputFormat>;

/** The OpenStack (Glance) image properties a cloud needs to boot the image as it was built. */
export const ImageProperties = object({
  /** libosinfo's short name: debian, ubuntu, rhel, centos, fedora, opensuse, … */
  os_distro: nonEmptyString(),
  os_version: optional(nonEmptyString()),
  /** libosinfo's architecture name (i686 for i386). */
  architecture: nonEmptyString(),
  hw_disk_bus: literal('virtio', 'ide'),
  hw_vif_model: nonEmptyString(),
  hw_firmware_type: literal('bios', 'uefi'),
  /** Only when qemu-guest-agent is installed. */
  hw_qemu_guest_agent: optional(literal('yes')),
  /** Only with the agent: snapshots freeze the file systems first. */
  os_require_quiesce: optional(literal('yes')),
  hw_machine_type: nonEmptyString(),
});
export type ImageProperties = Infer<typeof ImageProperties>;

export const TargetCloud = literal('openstack', 'nocloud', 'ec2', 'gce', 'azure', 'none');

/** What the image has for its first boot in a cloud (guest-customize --target-cloud). */
export const CustomizeCloud = object({
  /** The cloud it was sealed for; `none`: cloud-init's configuration left as the distribution ships it. */
  target: TargetCloud,
  /** cloud-init is installed in the image. */
  cloudInit: boolean(),
  cloudInitVersion: optional(string()),
  /** The distribution's default cloud user (cloud.cfg `system_info.default_user.name`): who the cloud's key logs in as. */
  defaultUser: optional(string()),
  /** The datasource_list the seal step pinned (absent: not pinned). */
  datasourceList: optional(array(string())),
});
export type CustomizeCloud = Infer<typeof CustomizeCloud>;

export const Customize = object({
  image: object({
    path: absolutePath(),
    format: OutputFormat,
    /** The format's variant qemu-img wrote: vmdk streamOptimized, vpc fixed, vhdx dynamic. */
    subformat: optional(string()),
    /** Bytes the guest sees (vpc: rounded up to whole MiB). */
    virtualSize: optional(integer(1)),
    bytesBefore: integer(0),
    bytesAfter: integer(0),
    compressed: boolean(),
    properties: optional(ImageProperties),
  }),
  guest: object({
    id: string(),
    versionId: optional(string()),
    prettyName: optional(string()),
    packageManager: literal('apt', 'dnf', 'yum', 'zypper'),
  }),
  hostKey: object({ type: string(), sha256: string() }),
  steps: array(CustomizeStep),
  inventory: Inventory,
  seal: nullable(object({ operations: array(object({ op: string(), done: boolean(), detail: optional(string()) })) })),
  /** Absent in documents of ozkit versions before --target-cloud. */
  cloud: optional(CustomizeCloud),
  /** Bytes the installed disk took before customization. */
  inputBytes: optional(integer(0)),
  consoleLog: optional(absolutePath()),
  /** Every remote command's output. */
  log: optional(absolutePath()),
});
export type Customize = Infer<typeof Customize>;

// ---------------------------------------------------------------- icicle (icicle-gen)

export const SbomFormat = literal('cyclonedx', 'spdx');
export type SbomFormat = Infer<typeof SbomFormat>;
const SbomFile = object({ format: SbomFormat, path: absolutePath() });

export const Icicle = object({
  /** The ICICLE XML file, or "-" when it went only to stdout. */
  xml: string(),
  /** The first SBOM written (all of them: `sboms`). */
  sbom: optional(SbomFile),
  sboms: optional(array(SbomFile)),
  packages: integer(0),
  format: literal('rpm', 'deb'),
  /** Where the inventory came from: the document (guest-customize) or --live. */
  source: literal('document', 'live'),
  /** --live: the guest the packages were listed on. */
  live: optional(
    object({
      host: optional(string()),
      port: optional(integer(1, 65535)),
      image: optional(string()),
      hostKey: object({ type: string(), sha256: string() }),
      collectedAt: string(),
    }),
  ),
});
export type Icicle = Infer<typeof Icicle>;

// ---------------------------------------------------------------- verify (image-verify)

/** One check of the booted image: passed or not, how long it took, what was seen. */
export const VerifyCheck = object({
  name: nonEmptyString(),
  ok: boolean(),
  seconds: number(),
  /** What the check saw (command output, the refused login's message …), a few lines at most. */
  evidence: optional(string()),
});
export type VerifyCheck = Infer<typeof VerifyCheck>;

export const Verify = object({
  /** The image booted (never written: it ran on a throw-away overlay). */
  image: absolutePath(),
  /** The metadata the guest got: an OpenStack config drive or a NoCloud seed. */
  metadata: literal('config-drive', 'nocloud'),
  /** The cloud user logged in as, with the injected key. */
  user: nonEmptyString(),
  /** Random per run, given in the metadata. */
  hostname: nonEmptyString(),
  instanceId: nonEmptyString(),
  /** The overlay's virtual size (the image's plus the growth tested). */
  diskBytes: integer(0),
  accel: literal('kvm', 'tcg'),
  /** Every check passed. */
  ok: boolean(),
  checks: array(VerifyCheck),
  /** Seconds from power-on. */
  timings: object({ loginPrompt: optional(number()), sshd: optional(number()), cloudInitDone: optional(number()) }),
  /** cloud-init's status.json, copied from the guest. */
  cloudInitStatus: optional(absolutePath()),
  consoleLog: optional(absolutePath()),
});
export type Verify = Infer<typeof Verify>;

// ---------------------------------------------------------------- failure (any stage)

export const WatchdogSample = object({ t: number(), diskWriteBytes: number(), diskWriteOps: number(), netBytes: optional(number()) });
export type WatchdogSample = Infer<typeof WatchdogSample>;

/** What a failing stage saw, for the person reading the document (and ppm2png). */
export const FailureEvidence = object({
  /** What kind of failure (guest-install: timeout, inactivity, crash, panic, no-marker, answer-failed). */
  reason: optional(string()),
  consoleLog: optional(absolutePath()),
  consoleTail: optional(array(string())),
  /** Screenshots (PNG; PPM too when ppm2png converted them). */
  screenshots: optional(array(string())),
  /** Why there is no screenshot, when there is none. */
  screenshotProblem: optional(string()),
  watchdog: optional(array(WatchdogSample)),
  seconds: optional(number()),
  /** Where a failed disk was kept (null: deleted). */
  disk: optional(nullable(string())),
  /** Logs copied out of the guest before it was ended (image-verify: cloud-init's). */
  logs: optional(array(absolutePath())),
});
export type FailureEvidence = Infer<typeof FailureEvidence>;

export const Failure = object({
  ...FailureEvidence.props,
  stage: nonEmptyString(),
  code: nonEmptyString(),
  message: string(),
  /** What every later stage exits with: never 0, so a failed build cannot look successful. */
  exitCode: integer(1, 255),
  hint: optional(string()),
});
export type Failure = Infer<typeof Failure>;

// ---------------------------------------------------------------- the document

export const StageRecord = object({
  tool: string(),
  version: string(),
  startedAt: string(),
  seconds: number(),
  /** The document keys this stage wrote. */
  produced: optional(array(string())),
  /** true: this stage failed (see `failure`); ppm2png: the screenshots it could not convert. */
  failed: optional(oneOf(boolean(), array(string()))),
  /** ppm2png: the PNGs it wrote. */
  converted: optional(array(string())),
});
export type StageRecord = Infer<typeof StageRecord>;

export interface BuildDocument {
  ozkit: number;
  /** Absolute path; every artifact of this build lives here. */
  workdir?: string;
  template?: Template;
  answer?: Answer;
  media?: Media;
  disk?: Disk;
  customize?: Customize;
  icicle?: Icicle;
  verify?: Verify;
  stages: StageRecord[];
  failure?: Failure;
  /** Keys of newer stages pass through. */
  [key: string]: unknown;
}

/** The document keys and the shape each must have. */
export const DOCUMENT_KEYS = {
  // Stages write and delete in the workdir: never the root or a system folder.
  workdir: refine(absolutePath(), (dir, path) => {
    const problem = workdirProblem(dir);
    return problem ? { path, message: problem } : undefined;
  }),
  template: Template,
  answer: Answer,
  media: Media,
  disk: Disk,
  customize: Customize,
  icicle: Icicle,
  verify: Verify,
  failure: Failure,
  stages: array(StageRecord),
} as const;
export type DocumentKey = keyof typeof DOCUMENT_KEYS;

/** A document that has these keys (what a stage's `run` gets once its needs are checked). */
export type DocumentWith<K extends DocumentKey> = BuildDocument & { [P in K]-?: NonNullable<BuildDocument[P]> };
