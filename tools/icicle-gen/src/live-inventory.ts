import { OzkitError } from '@ozkit/errors';
import { checkDocumentPath, type BuildDocument, type Inventory } from '@ozkit/build-document';
import type { Logger } from '@ozkit/log';
import { HostKeyPin, SshSession, loadPrivateKey, type HostKey } from '@ozkit/ssh';
import { collectInventory, OS_RELEASE_COMMAND, parseOsRelease, type RunGuestCommand } from '@ozkit/inventory';
import type { Settings } from '@ozkit/config';
import type { Distro } from './distro.js';
import { bootForInventory, imageToBoot } from './overlay-boot.js';

/** Where --live lists packages: a guest already running, or the image booted on a throw-away overlay. */
export type LiveSource = { kind: 'ssh'; host: string; port: number } | { kind: 'image'; image?: string };

export interface LiveOptions {
  source: LiveSource;
  user?: string;
  /** Private key file; default the build key recorded in the document. */
  key?: string;
  /** Expected host key fingerprint (`SHA256:…`); otherwise the key seen is reported. */
  hostKey?: string;
  /** Default: the TDL's os/icicle/extra_command. */
  extraCommand?: string;
  commandTimeoutSeconds: number;
  /** --image: how long the booted image may take to answer SSH ([timeouts] boot). */
  bootTimeoutSeconds: number;
  settings: Settings;
  logger: Logger;
  signal: AbortSignal;
}

export interface LiveInventory {
  inventory: Inventory;
  distro: Distro;
  hostKey: HostKey;
  /** Where the packages were listed. */
  where: { host: string; port: number } | { image: string };
}

/** The build key the document records, when it is one the pipeline wrote (workdir or `cacheDir`). */
function buildKeyOf(doc: BuildDocument, cacheDir: string): string | undefined {
  const recorded = doc.disk?.buildKey?.privateKey !== undefined ? 'disk.buildKey.privateKey' : 'answer.buildKey.privateKey';
  const key = doc.disk?.buildKey?.privateKey ?? doc.answer?.buildKey?.privateKey;
  return key === undefined ? undefined : checkDocumentPath(key, recorded, { workdir: doc.workdir, folders: [cacheDir] }, { regularFile: true });
}

function normalizeFingerprint(value: string): string {
  const v = value.trim();
  return (v.startsWith('SHA256:') ? v : `SHA256:${v}`).replace(/=+$/, '');
}

/** Lists the packages (and extra_command lines) of a guest through an open SSH session. */
export async function inventoryOverSsh(
  session: SshSession,
  options: { extraCommand?: string; commandTimeoutSeconds: number; signal?: AbortSignal },
): Promise<{ inventory: Inventory; distro: Distro }> {
  const run: RunGuestCommand = async (command) => {
    const result = await session.exec(command, {
      timeoutMs: options.commandTimeoutSeconds * 1000,
      captureStdout: true,
      tailLines: 5,
      signal: options.signal,
    });
    return { stdout: result.stdout, stderr: result.tail.join(''), exitCode: result.exitCode };
  };
  const osRelease = await run(OS_RELEASE_COMMAND);
  const release = parseOsRelease(osRelease.exitCode === 0 ? osRelease.stdout : '');
  const distro: Distro = {
    id: release.id,
    ...(release.versionId ? { versionId: release.versionId } : {}),
    ...(release.prettyName ? { prettyName: release.prettyName } : {}),
    source: osRelease.exitCode === 0 ? 'guest' : 'unknown',
  };
  const inventory = await collectInventory(run, { extraCommand: options.extraCommand });
  return { inventory, distro };
}

/**
 * --live: collect the inventory now, over SSH, instead of reading customize.inventory.
 * Read-only on the guest: only the package database query, os-release and extra_command run.
 */
export async function collectLiveInventory(doc: BuildDocument, options: LiveOptions): Promise<LiveInventory> {
  // A missing image is the more useful first complaint than a missing key.
  const image = options.source.kind === 'image' ? imageToBoot(doc, options.source.image, options.settings.cacheDir) : undefined;
  const keyPath = options.key ?? buildKeyOf(doc, options.settings.cacheDir);
  if (!keyPath) {
    throw new OzkitError('USAGE', '--live needs an SSH private key and the document records no build key', { hint: 'give --key FILE' });
  }
  const privateKey = await loadPrivateKey(keyPath);
  const extraCommand = options.extraCommand ?? doc.template?.os?.icicle?.extraCommand;
  const expected = options.hostKey !== undefined ? normalizeFingerprint(options.hostKey) : undefined;
  const common = { extraCommand, commandTimeoutSeconds: options.commandTimeoutSeconds, signal: options.signal };

  const checkHostKey = (session: SshSession) => {
    if (expected !== undefined && session.hostKey.sha256 !== expected) {
      throw new OzkitError('SERVICE_UNAVAILABLE', `host key mismatch: expected ${expected}, the server offered ${session.hostKey.type} ${session.hostKey.sha256}`, {
        hint: 'something else answers on that address, or the guest has new host keys; no command was run',
      });
    }
  };

  if (options.source.kind === 'image') {
    return bootForInventory(doc, {
      image,
      privateKey,
      user: options.user ?? 'root',
      bootTimeoutSeconds: options.bootTimeoutSeconds,
      settings: options.settings,
      logger: options.logger,
      signal: options.signal,
      withSession: async (session, image) => {
        checkHostKey(session);
        const { inventory, distro } = await inventoryOverSsh(session, common);
        return { inventory, distro, hostKey: session.hostKey, where: { image } };
      },
    });
  }

  const { host, port } = options.source;
  options.logger.info(`connecting to ${options.user ?? 'root'}@${host}:${port}`);
  const session = await SshSession.connect({
    host,
    port,
    username: options.user ?? 'root',
    privateKey,
    hostKeys: new HostKeyPin(),
    handshakeTimeoutMs: 20_000,
    signal: options.signal,
  }).catch((error: unknown) => {
    if (error instanceof OzkitError && !error.hint && error.details?.reason !== undefined) {
      throw new OzkitError(error.code, error.message, {
        hint: `is the guest running with sshd reachable at ${host}:${port}? (guest-customize --no-seal keeps a build's guest reachable)`,
        details: error.details,
        cause: error,
      });
    }
    throw error;
  });
  try {
    checkHostKey(session);
    if (expected === undefined) options.logger.info(`host key ${session.hostKey.type} ${session.hostKey.sha256} (not checked: give --host-key to pin it)`);
    const { inventory, distro } = await inventoryOverSsh(session, common);
    return { inventory, distro, hostKey: session.hostKey, where: { host, port } };
  } finally {
    await session.close();
  }
}
