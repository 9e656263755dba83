/**
 * The build document: one JSON object passed from stage to stage (ARCHITECTURE.md).
 * Each stage owns one key; every key a stage does not own passes through untouched,
 * which is why the interfaces allow unknown extra keys.
 */

export const DOCUMENT_VERSION = 1;

export type Arch = 'i386' | 'x86_64' | 'ppc64' | 'ppc64le' | 'aarch64' | 'armv7l' | 's390x';

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
  stages: StageRecord[];
  failure?: Failure;
  [key: string]: unknown;
}

export interface StageRecord {
  tool: string;
  version: string;
  startedAt: string;
  seconds: number;
  [key: string]: unknown;
}

// ---------------------------------------------------------------- template (tdl-validate)

export type ContentType = 'raw' | 'base64' | 'url';

export interface TemplateFile {
  /** Absolute path in the guest. */
  name: string;
  type: ContentType;
  /** raw: the text (stripped, as Oz does); base64: the base64 text; url: the URL. */
  content: string;
}

export interface TemplateCommand {
  name: string;
  type: ContentType;
  content: string;
  /** 1..N when the TDL uses positions; commands are already sorted by it. */
  position?: number;
}

export interface TemplatePackage {
  name: string;
  repository?: string;
  file?: string;
  arguments?: string;
}

export interface TemplateRepository {
  name: string;
  url: string;
  signed: boolean;
  persisted: boolean;
  sslverify: boolean;
}

export type ChecksumKind = 'md5' | 'sha1' | 'sha256';

export interface IsoExtra {
  kind: 'file' | 'directory';
  source: string;
  destination: string;
}

export type InstallSource =
  | {
      type: 'iso';
      iso: string;
      /** Oz's md5sum/sha1sum/sha256sum: the URL of a SUMS file, or `sha256:<hex>` inline. */
      checksum?: { kind: ChecksumKind; value: string };
      extras: IsoExtra[];
    }
  | { type: 'url'; url: string };

/** Where a secret is, never the secret itself. */
export interface SecretReference {
  set: true;
  /** Absolute path of the file that holds it. */
  file: string;
  line?: number;
  column?: number;
}

export interface Template {
  /** The TDL this came from. */
  source: { path: string; sha256: string };
  /** The TDL's `version` attribute, if given. */
  version?: string;
  name: string;
  description?: string;
  os: {
    name: string;
    version: string;
    arch: Arch;
    install: InstallSource;
    /** Present when the TDL sets a root password; read it with @ozkit/tdl `readRootPassword`. */
    rootpw?: SecretReference;
    key?: string;
    kernelparam?: string;
    icicle?: { extraCommand: string };
  };
  disk: { sizeBytes: number };
  packages: TemplatePackage[];
  repositories: TemplateRepository[];
  files: TemplateFile[];
  commands: TemplateCommand[];
  precommands: TemplateCommand[];
  [key: string]: unknown;
}

// ---------------------------------------------------------------- answer (ks-render)

export type AnswerFormat = 'kickstart' | 'preseed' | 'autoinstall' | 'autoyast';
export type OsFamily = 'redhat' | 'debian' | 'ubuntu' | 'suse';

export interface Answer {
  format: AnswerFormat;
  family: OsFamily;
  /** The answer file in the workdir (for autoinstall: user-data). */
  path: string;
  sha256: string;
  /**
   * sha256 of the answer file with the per-build parts (build key, marker) replaced by fixed
   * placeholders: two builds that would install the same system share it (JEOS cache key).
   */
  stableSha256: string;
  /** Other files the installer needs beside it (autoinstall's meta-data), by name. */
  extraFiles?: { name: string; path: string }[];
  /** Kernel arguments the installer needs besides the ones that locate the answer file. */
  kernelArgs: string[];
  /** Where the installer should find the answer file once it is on the media / in the initrd. */
  placement: { onIso: string; inInitrd: string };
  /** The line the post-install step writes to the serial console when the install completed. */
  marker: string;
  /** The per-build SSH key pair (ed25519); private key file is mode 0600. */
  buildKey: { privateKey: string; publicKey: string };
  /** Where the root password is: the TDL, or a generated one in a 0600 file in the workdir. */
  rootPassword: SecretReference | { generated: true; file: string };
  /** True when the user's own answer file (--auto) was used. */
  user: boolean;
  /** False when the answer file leaves the system without sshd (then guest-customize cannot run). */
  sshd: boolean;
  [key: string]: unknown;
}

// ---------------------------------------------------------------- media (iso-fetch)

export type BootMedia =
  | { method: 'iso'; iso: string; sha256: string }
  | {
      method: 'kernel';
      kernel: string;
      initrd: string;
      append: string;
      /** An ISO to attach as CD-ROM as well (the original media, for installers that read it). */
      iso?: string;
    };

export interface Media {
  original: {
    url: string;
    kind: 'iso' | 'tree';
    /** Cached copy (iso) or cached kernel/initrd directory (tree). */
    path: string;
    sha256: string;
    bytes: number;
    verified: { kind: ChecksumKind; source: string } | null;
    fromCache: boolean;
  };
  boot: BootMedia;
  /** The volume ID kept on a remastered ISO. */
  volumeId?: string;
  [key: string]: unknown;
}

// ---------------------------------------------------------------- disk (guest-install)

export type ImageFormat = 'qcow2' | 'raw';

export interface Disk {
  path: string;
  format: ImageFormat;
  virtualSize: number;
  bus: 'virtio' | 'ide';
  accel: 'kvm' | 'tcg';
  installSeconds: number;
  consoleLog: string;
  markerSeen: boolean;
  /** The key pair the image was installed with (differs from answer.buildKey on a JEOS cache hit). */
  buildKey: { privateKey: string; publicKey: string };
  jeos?: { key: string; hit: boolean; path: string };
  [key: string]: unknown;
}

// ---------------------------------------------------------------- customize (guest-customize)

export interface InventoryPackage {
  name: string;
  epoch?: string;
  version: string;
  release?: string;
  arch: string;
}

export interface Inventory {
  format: 'rpm' | 'deb';
  packages: InventoryPackage[];
  /** os/icicle/extra_command output, one line per package, in the same order. */
  extra?: string[];
  collectedAt: string;
}

export interface CustomizeStep {
  step: 'repositories' | 'precommands' | 'packages' | 'files' | 'commands' | 'remove-repositories';
  name: string;
  seconds: number;
  exitCode?: number;
}

export interface Customize {
  image: { path: string; format: ImageFormat; bytesBefore: number; bytesAfter: number; compressed: boolean };
  guest: { id: string; versionId?: string; prettyName?: string; packageManager: 'apt' | 'dnf' | 'yum' | 'zypper' };
  hostKey: { type: string; sha256: string };
  steps: CustomizeStep[];
  inventory: Inventory;
  seal: { operations: { op: string; done: boolean; detail?: string }[] } | null;
  [key: string]: unknown;
}

// ---------------------------------------------------------------- icicle (icicle-gen)

export interface Icicle {
  xml: string;
  sbom?: { format: 'cyclonedx' | 'spdx'; path: string };
  packages: number;
  [key: string]: unknown;
}

// ---------------------------------------------------------------- failure (any stage)

export interface WatchdogSample {
  t: number;
  diskWriteBytes: number;
  diskWriteOps: number;
  netBytes?: number;
}

export interface Failure {
  stage: string;
  code: string;
  message: string;
  consoleTail?: string[];
  /** PNG screenshots (and the PPM they came from, if kept). */
  screenshots?: string[];
  watchdog?: WatchdogSample[];
  [key: string]: unknown;
}
