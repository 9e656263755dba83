import { closeSync, openSync, readSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { execa } from 'execa';
import { OzkitError, toOzkitError } from '@ozkit/errors';
import { FailureWithEvidence, checkDocumentPath, type BuildDocument, type BuildScope, type Verify, type VerifyCheck } from '@ozkit/build-document';
import type { Settings } from '@ozkit/config';
import type { Logger } from '@ozkit/log';
import { requireProgram } from '@ozkit/qemu';
import { readRootPassword } from '@ozkit/tdl';
import { HostKeyPin, SshSession, loadPrivateKey, oneLine } from '@ozkit/ssh';
import { bootToSsh, createDisk, diskInfo, selectBackend, type WatchedGuest } from '@ozkit/vm';
import { randomIdentity, writeMetadataIso, type MetadataKind } from './cloud-metadata.js';
import { EXPECTED_DATASOURCE, GUEST_FACTS_COMMAND, guestBootEpoch, parseGuestFacts, parseStatusJson } from './guest-facts.js';

export type VerifySettings = Pick<
  Settings,
  'targetCloud' | 'timeoutBoot' | 'cpus' | 'memoryMiB' | 'accel' | 'cacheDir' | 'connect' | 'virtType' | 'pool' | 'bridgeName'
>;

export interface VerifyOptions {
  settings: VerifySettings;
  logger: Logger;
  signal?: AbortSignal;
  /** --image: the image to verify (default customize.image, then disk). */
  image?: string;
  /** --target-cloud as given (default: the cloud the image was sealed for, customize.cloud.target, else settings.targetCloud). */
  targetCloud?: Settings['targetCloud'];
  /** The metadata the guest gets (default: the target cloud's). */
  metadata?: MetadataKind;
  /** The overlay's virtual size (default the image's + 1 GiB). */
  diskBytes?: number;
  /** The cloud user (default customize.cloud.defaultUser). */
  user?: string;
  /** Commands that must exit 0 over the user's SSH session. */
  checks?: string[];
  /** How long cloud-init may take after SSH answers (`cloud-init status --wait`). */
  cloudInitTimeoutMs?: number;
  /** Where status.json, the console log and failure evidence go (default the document's workdir, else the image's directory). */
  workdir?: string;
  console?: boolean;
}

const GiB = 1024 ** 3;

/**
 * The cloud to verify for: --target-cloud, else the one the image was sealed for, else the setting.
 * A default or an environment variable meant for sealing must not give a NoCloud image a config drive.
 */
export function targetCloudFor(doc: BuildDocument, flag: Settings['targetCloud'] | undefined, setting: Settings['targetCloud']): Settings['targetCloud'] {
  return flag ?? doc.customize?.cloud?.target ?? setting;
}

/** The metadata each target cloud's datasource reads; the others cannot be given on a local QEMU. */
export function metadataFor(target: Settings['targetCloud']): MetadataKind {
  if (target === 'openstack' || target === 'none') return 'config-drive';
  if (target === 'nocloud') return 'nocloud';
  throw new OzkitError('NOT_IMPLEMENTED', `image-verify cannot give a ${target} guest its metadata (it makes an OpenStack config drive or a NoCloud seed)`, {
    hint: 'verify with --metadata config-drive or --metadata nocloud on an image sealed for openstack or nocloud',
  });
}

/**
 * The image to boot and its format; a missing file is 66, one that is not a disk image 65. An
 * image the document names must be inside the build (`scope`: workdir, cache); --image is the
 * user's own and may be anywhere.
 */
export async function imageToVerify(
  doc: BuildDocument,
  given?: string,
  signal?: AbortSignal,
  scope: BuildScope = { workdir: doc.workdir },
): Promise<{ path: string; format: 'qcow2' | 'raw'; virtualSize: number }> {
  const recorded = doc.customize?.image?.path !== undefined ? 'customize.image.path' : 'disk.path';
  const path = given ?? doc.customize?.image?.path ?? doc.disk?.path;
  if (!path)
    throw new OzkitError('USAGE', 'no image to verify: the document has no customize.image or disk', { hint: 'run guest-customize first, or give --image FILE' });
  if (given === undefined) checkDocumentPath(path, recorded, scope);
  const absolute = resolve(path);
  const st = await stat(absolute).catch(() => undefined);
  if (!st) throw new OzkitError('INPUT_MISSING', `${absolute}: image not found`);
  if (!st.isFile()) throw new OzkitError('BAD_IMAGE', `${absolute}: not a regular file`);
  const info = await diskInfo(absolute, signal);
  if (info.format !== 'qcow2' && info.format !== 'raw') throw new OzkitError('BAD_IMAGE', `${absolute}: image format ${info.format} is not qcow2 or raw`);
  // qemu-img calls any file "raw": a raw disk image has the boot-sector signature (MBR or GPT's protective MBR).
  if (info.format === 'raw' && !hasBootSignature(absolute)) throw new OzkitError('BAD_IMAGE', `${absolute}: not a disk image (no partition table or boot sector)`);
  return { path: absolute, format: info.format, virtualSize: info.virtualSize };
}

function hasBootSignature(path: string): boolean {
  const buf = Buffer.alloc(512);
  const fd = openSync(path, 'r');
  try {
    return readSync(fd, buf, 0, 512, 0) === 512 && buf[510] === 0x55 && buf[511] === 0xaa;
  } finally {
    closeSync(fd);
  }
}

/** A fresh ed25519 pair: the "user's" key, made per run so nothing from the build can pass for it. */
async function userKeyPair(dir: string, signal?: AbortSignal): Promise<{ privateKey: Buffer; publicKey: string }> {
  const keygen = requireProgram('ssh-keygen', 'openssh-client');
  const file = join(dir, 'user-key');
  await execa(keygen, ['-q', '-t', 'ed25519', '-N', '', '-C', 'ozkit-image-verify', '-f', file], { ...(signal ? { cancelSignal: signal } : {}) });
  return { privateKey: await loadPrivateKey(file), publicKey: (await readFile(`${file}.pub`, 'utf8')).trim() };
}

class CheckList {
  readonly rows: VerifyCheck[] = [];
  /** Checks that failed by running out of time (the verdict is then 75, as for every timeout). */
  readonly timedOut = new Set<string>();
  constructor(private readonly logger: Logger) {}

  add(name: string, ok: boolean, seconds: number, evidence?: string): void {
    const row: VerifyCheck = { name, ok, seconds: Math.round(seconds * 10) / 10, ...(evidence ? { evidence: evidence.slice(0, 2000) } : {}) };
    this.rows.push(row);
    this.logger.info(`check ${name}: ${ok ? 'ok' : 'FAILED'}${evidence ? ` (${oneLine(evidence).slice(0, 200)})` : ''}`);
  }

  async run(name: string, body: () => Promise<{ ok: boolean; evidence?: string }>): Promise<void> {
    const t = Date.now();
    try {
      const { ok, evidence } = await body();
      this.add(name, ok, (Date.now() - t) / 1000, evidence);
    } catch (error) {
      const e = toOzkitError(error);
      if (e.code === 'INTERRUPTED' || e.code === 'TERMINATED') throw e;
      if (e.code === 'TIMEOUT') this.timedOut.add(name);
      this.add(name, false, (Date.now() - t) / 1000, e.message);
    }
  }

  get failed(): VerifyCheck[] {
    return this.rows.filter((r) => !r.ok);
  }
}

/** A login that must be refused: ok when sshd says no, a failed check when it lets us in. */
async function refusedLogin(
  address: { host: string; port: number },
  hostKeys: HostKeyPin,
  login: { username: string; privateKey?: Buffer; password?: string },
  signal?: AbortSignal,
) {
  try {
    const session = await SshSession.connect({
      host: address.host,
      port: address.port,
      username: login.username,
      privateKey: login.privateKey ?? Buffer.alloc(0),
      ...(login.password !== undefined ? { password: login.password } : {}),
      hostKeys,
      handshakeTimeoutMs: 60_000,
      ...(signal ? { signal } : {}),
    });
    await session.close();
    return { ok: false, evidence: `${login.username} logged in` };
  } catch (error) {
    const e = toOzkitError(error);
    if (e.details?.reason === 'auth') return { ok: true, evidence: e.message };
    throw e;
  }
}

/**
 * The image-verify stage: boots a throw-away overlay of the sealed image (grown, so root growth
 * is tested) with the metadata a cloud gives (a config drive or NoCloud seed made with xorriso:
 * a fresh key, a random hostname and instance-id), logs in as the cloud user with that key and
 * checks what a cloud user relies on. The image is only read; the guest is always ended and the
 * overlay removed. Any failed check: exit 65 naming it, with screenshot, console tail and
 * cloud-init's log in `failure` (and the rows in `verify`).
 */
export async function verifyImage(doc: BuildDocument, options: VerifyOptions): Promise<BuildDocument> {
  const { logger, settings, signal } = options;
  // Files the document names are read only from inside the build (workdir, cache).
  const scope: BuildScope = { workdir: doc.workdir, folders: [settings.cacheDir] };
  const image = await imageToVerify(doc, options.image, signal, scope);
  const buildKey = buildKeyToTry(doc, scope);
  const target = targetCloudFor(doc, options.targetCloud, settings.targetCloud);
  const metadata = options.metadata ?? metadataFor(target);
  const user = options.user ?? doc.customize?.cloud?.defaultUser;
  if (!user)
    throw new OzkitError('USAGE', "no cloud user to log in as: the document does not record the image's default user (customize.cloud.defaultUser)", {
      hint: "give --user NAME (debian, ubuntu, fedora, cloud-user … as the image's cloud.cfg says)",
    });
  if (doc.customize?.cloud && !doc.customize.cloud.cloudInit)
    throw new OzkitError('BAD_IMAGE', `${image.path}: the image has no cloud-init (customize.cloud.cloudInit is false), so no cloud can configure it`, {
      hint: "add <package name='cloud-init'/> to the template and customize again",
    });
  const diskBytes = options.diskBytes ?? image.virtualSize + GiB;
  if (diskBytes < image.virtualSize) throw new OzkitError('USAGE', `--disk-size ${diskBytes} is smaller than the image (${image.virtualSize} bytes)`);
  const workdir = options.workdir ?? doc.workdir ?? dirname(image.path);
  await mkdir(workdir, { recursive: true });
  const arch = doc.template?.os?.arch ?? 'x86_64';
  const backend = selectBackend(settings, { build: doc.template?.name ?? 'image', stage: 'image-verify' });
  const accel = (await backend.chooseAccel(settings.accel, { arch, cacheDir: settings.cacheDir, ...(signal ? { signal } : {}) }, logger)).accel;

  const runDir = await mkdtemp(join(tmpdir(), 'ozkit-image-verify-'));
  let guest: WatchedGuest | undefined;
  let session: SshSession | undefined;
  const checks = new CheckList(logger);
  const consoleWatch = new AbortController();
  try {
    const key = await userKeyPair(runDir, signal);
    const identity = randomIdentity(key.publicKey);
    const iso = await writeMetadataIso(metadata, identity, join(runDir, 'metadata'), join(runDir, 'metadata.iso'), signal);
    const overlay = join(runDir, 'overlay.qcow2');
    await createDisk(overlay, 'qcow2', diskBytes, { backing: { path: image.path, format: image.format }, ...(signal ? { signal } : {}) });
    logger.info(`booting ${image.path} on a throw-away overlay (${(diskBytes / GiB).toFixed(1)} GiB, ${accel}) with a ${metadata} for ${identity.hostname}`);

    let loginPrompt: number | undefined;
    const consoleLog = join(workdir, 'verify-console.log');
    const hostKeys = new HostKeyPin();
    const bootStarted = Date.now();
    try {
      const booted = await bootToSsh({
        backend,
        guest: {
          arch,
          accel,
          cpus: settings.cpus,
          memoryMiB: settings.memoryMiB,
          disks: [{ path: overlay, format: 'qcow2', bus: doc.disk?.bus ?? 'virtio' }],
          cdrom: iso,
          boot: 'disk',
          network: { ssh: {} },
          runDir,
          consoleLog,
          ...(signal ? { signal } : {}),
        },
        ssh: {
          username: user,
          privateKey: key.privateKey,
          hostKeys,
          timeoutMs: settings.timeoutBoot * 1000,
          timeoutFlag: '--boot-timeout',
          refusedKeyHint: `the image does not let ${user} in with the key the cloud injected: is cloud-init installed and enabled, and ${user} its default user?`,
        },
        screenshotPrefix: join(workdir, 'verify-failure'),
        ...(options.console ? { onConsoleLine: (line: string) => logger.info(`console: ${line}`) } : {}),
        onStarted: ({ vm }) => {
          logger.info(`${vm.label}: SSH on ${vm.ssh!.host}:${vm.ssh!.port}`);
          // The prompt has no newline until someone types: waitFor also tests the unfinished last line.
          vm.console
            .waitFor(/\blogin:\s*$/, settings.timeoutBoot * 1000 + (options.cloudInitTimeoutMs ?? 600_000), { signal: consoleWatch.signal })
            .then(() => (loginPrompt = (Date.now() - bootStarted) / 1000))
            .catch(() => undefined);
        },
        logger,
        ...(signal ? { signal } : {}),
      });
      ({ guest, session } = booted);
      checks.add('ssh-login', true, booted.bootSeconds, `${user} logged in with the injected key; host key ${session.hostKey.type} ${session.hostKey.sha256}`);
    } catch (error) {
      const e = toOzkitError(error);
      // A key the image refuses is the check failing, with the evidence bootToSsh collected; a timeout stays 75.
      if (e.details?.reason === 'auth' && e instanceof FailureWithEvidence) {
        checks.add('ssh-login', false, (Date.now() - bootStarted) / 1000, e.message.split('\n')[0]);
        throw new FailureWithEvidence('BAD_IMAGE', `check ssh-login failed: ${e.message}`, e.evidence, { ...(e.hint ? { hint: e.hint } : {}) });
      }
      throw e;
    }
    const sshd = guest.seconds;
    const address = guest.vm.ssh!;

    // cloud-init first: the facts below are only final once it is done.
    let statusText = '{}';
    const waitMs = options.cloudInitTimeoutMs ?? 600_000;
    await checks.run('cloud-init', async () => {
      const r = await session!.exec('cloud-init status --wait --long', { timeoutMs: waitMs, captureStdout: true, tailLines: 30, ...(signal ? { signal } : {}) });
      const out = r.stdout.trim();
      const done = /^status:\s*done\s*$/m.test(out);
      return { ok: r.exitCode === 0 && done, evidence: `${out || r.tail.join('\n')} (exit ${r.exitCode})` };
    });
    const factsRun = await session.exec(GUEST_FACTS_COMMAND, { timeoutMs: 120_000, captureStdout: true, ...(signal ? { signal } : {}) });
    const hostNow = guest.seconds;
    const facts = parseGuestFacts(factsRun.stdout);
    statusText = facts.statusJson;
    const status = parseStatusJson(statusText);
    const statusFile = join(workdir, 'verify-cloud-init-status.json');
    await writeFile(statusFile, `${statusText}\n`);
    // Guest times onto power-on time: the host's seconds since power-on at the moment the guest read its clock.
    const powerOnEpoch = facts.epoch - hostNow;
    const cloudInitDone = status.finished !== undefined ? Math.round((status.finished - powerOnEpoch) * 10) / 10 : undefined;
    const bootEpoch = guestBootEpoch(facts);

    checks.add(
      'cloud-init-datasource',
      status.errors.length === 0 && (status.datasource ?? '').startsWith(EXPECTED_DATASOURCE[metadata]),
      0,
      `datasource ${status.datasource ?? 'none'}${status.errors.length ? `; errors: ${status.errors.join('; ')}` : '; no errors'} (status.json copied to ${statusFile})`,
    );
    checks.add('hostname', facts.hostname === identity.hostname, 0, `hostname ${facts.hostname || '(none)'}, metadata says ${identity.hostname}`);
    checks.add(
      'root-grown',
      facts.rootBytes > image.virtualSize,
      0,
      `/ (${facts.rootSource}) is ${facts.rootBytes} bytes on a ${diskBytes}-byte disk; the image was ${image.virtualSize} bytes`,
    );
    const buildHostKey = doc.customize?.hostKey?.sha256;
    checks.add(
      'host-keys-new',
      facts.hostKeys.length > 0 && facts.hostKeys.every((k) => k.mtime >= bootEpoch - 1 && k.sha256 !== buildHostKey) && session.hostKey.sha256 !== buildHostKey,
      0,
      `${facts.hostKeys.map((k) => `${k.path} ${k.sha256}${k.mtime >= bootEpoch - 1 ? ' (made this boot)' : ' (older than this boot)'}`).join('; ') || 'no host keys'}${buildHostKey ? `; the build saw ${buildHostKey}` : ''}`,
    );
    checks.add(
      'machine-id-new',
      /^[0-9a-f]{32}$/.test(facts.machineId) && facts.machineIdMtime >= bootEpoch - 1,
      0,
      `/etc/machine-id ${facts.machineId || '(empty)'}${facts.machineIdMtime >= bootEpoch - 1 ? ', written this boot' : ', older than this boot'}`,
    );
    if (buildKey) {
      const privateKey = await loadPrivateKey(buildKey);
      await checks.run('build-key-refused', () => refusedLogin(address, hostKeys, { username: 'root', privateKey }, signal));
    } else logger.info('no build key in the document (disk.buildKey): build-key-refused not checked');
    // The password is read from the TDL the template names (the document holds only where it is).
    const rootPassword = doc.template?.os?.rootpw ? await readRootPassword(doc.template).catch(() => undefined) : undefined;
    if (rootPassword) await checks.run('root-password-refused', () => refusedLogin(address, hostKeys, { username: 'root', password: rootPassword }, signal));
    else logger.info('no root password in the document (template.os.rootpw): root-password-refused not checked');
    for (const command of options.checks ?? []) {
      await checks.run(`check: ${command}`, async () => {
        const r = await session!.exec(command, { timeoutMs: 600_000, captureStdout: true, tailLines: 10, ...(signal ? { signal } : {}) });
        return { ok: r.exitCode === 0, evidence: `exit ${r.exitCode ?? r.signal}${r.tail.length ? `: ${r.tail.join('\n')}` : ''}` };
      });
    }
    checks.add(
      'login-prompt',
      loginPrompt !== undefined,
      0,
      loginPrompt !== undefined ? `serial console login prompt after ${loginPrompt.toFixed(1)} s` : 'no login prompt on the serial console',
    );

    const verify: Verify = {
      image: image.path,
      metadata,
      user,
      hostname: identity.hostname,
      instanceId: identity.instanceId,
      diskBytes,
      accel,
      ok: checks.failed.length === 0,
      checks: checks.rows,
      timings: {
        ...(loginPrompt !== undefined ? { loginPrompt: Math.round(loginPrompt * 10) / 10 } : {}),
        sshd: Math.round(sshd * 10) / 10,
        ...(cloudInitDone !== undefined ? { cloudInitDone } : {}),
      },
      cloudInitStatus: statusFile,
      consoleLog,
    };
    logger.info(
      `boot timings: login prompt ${verify.timings.loginPrompt ?? '—'} s, sshd ${verify.timings.sshd} s, cloud-init done ${verify.timings.cloudInitDone ?? '—'} s (from power-on)`,
    );
    if (checks.failed.length) {
      const names = checks.failed.map((c) => c.name);
      const logs = await copyCloudInitLog(session, workdir, signal);
      const failure = await guest.failWith(
        new OzkitError(
          names.some((n) => checks.timedOut.has(n)) ? 'TIMEOUT' : 'BAD_IMAGE',
          `check${names.length > 1 ? 's' : ''} ${names.join(', ')} failed: ${checks.failed
            .map((c) => oneLine(c.evidence ?? ''))
            .join('; ')
            .slice(0, 300)}`,
        ),
        'step-failed',
      );
      // The rows go into the failed document too: runStage writes the document it gave the stage.
      doc.verify = verify;
      throw new FailureWithEvidence(
        failure.code,
        failure.message,
        { ...failure.evidence, ...(logs.length ? { logs } : {}) },
        {
          exitCode: failure.exitCode,
          hint: `every check is in verify.checks; cloud-init's log: ${logs[0] ?? 'not readable'}`,
        },
      );
    }
    return { ...doc, verify };
  } finally {
    consoleWatch.abort();
    await session?.close().catch(() => undefined);
    if (guest) await guest.kill().catch(() => undefined);
    await rm(runDir, { recursive: true, force: true });
  }
}

/** cloud-init's log from the guest (readable by its default user, who is in group adm), for the failure. */
/** The build key whose refusal is checked, if the document has one (inside the build, a regular file). */
export function buildKeyToTry(doc: BuildDocument, scope: BuildScope): string | undefined {
  const recorded = doc.disk?.buildKey ? 'disk.buildKey.privateKey' : 'answer.buildKey.privateKey';
  const path = doc.disk?.buildKey?.privateKey ?? doc.answer?.buildKey?.privateKey;
  return path === undefined ? undefined : checkDocumentPath(path, recorded, scope, { regularFile: true });
}

async function copyCloudInitLog(session: SshSession, workdir: string, signal?: AbortSignal): Promise<string[]> {
  const r = await session.exec('cat /var/log/cloud-init.log', { timeoutMs: 60_000, captureStdout: true, ...(signal ? { signal } : {}) }).catch(() => undefined);
  if (!r || r.exitCode !== 0) return [];
  const path = join(workdir, 'verify-cloud-init.log');
  await writeFile(path, r.stdout);
  return [path];
}
