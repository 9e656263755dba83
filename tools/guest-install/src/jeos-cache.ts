import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { OzkitError } from '@ozkit/errors';
import { createDisk } from '@ozkit/vm';
import type { ImageFormat } from '@ozkit/build-document';

/** What makes two installs the same: the image they produce depends on nothing else. */
export interface JeosKeyParts {
  mediaSha256: string;
  answerStableSha256: string;
  sizeBytes: number;
  format: ImageFormat;
  bus: 'virtio' | 'ide';
  firmware: 'bios' | 'uefi';
  arch: string;
  toolVersion: string;
}

export function jeosKey(parts: JeosKeyParts): string {
  const canonical = JSON.stringify({ v: 1, ...parts }, Object.keys({ v: 1, ...parts }).sort());
  return createHash('sha256').update(canonical).digest('hex');
}

export interface JeosEntry {
  key: string;
  dir: string;
  image: string;
  privateKey: string;
  publicKey: string;
  consoleLog: string;
  /** The generated root password the image was installed with (when the TDL set none). */
  rootPassword: string;
  meta: JeosMeta;
}

export interface JeosMeta {
  key: string;
  parts: JeosKeyParts;
  markerSeen: boolean;
  installSeconds: number;
  /** The accelerator the install ran under. */
  accel?: 'kvm' | 'tcg';
  createdAt: string;
}

const imageName = (format: ImageFormat) => `image.${format}`;

/** The cached install for `key`, if a complete one is stored under `jeosDir`. */
export function findJeos(jeosDir: string, key: string): JeosEntry | undefined {
  const dir = join(jeosDir, key);
  try {
    const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as JeosMeta;
    const entry = entryFor(dir, key, meta);
    if (![entry.image, entry.privateKey, entry.publicKey].every((p) => existsSync(p))) return undefined;
    return entry;
  } catch {
    return undefined;
  }
}

function entryFor(dir: string, key: string, meta: JeosMeta): JeosEntry {
  return {
    key,
    dir,
    image: join(dir, imageName(meta.parts.format)),
    privateKey: join(dir, 'build-key'),
    publicKey: join(dir, 'build-key.pub'),
    consoleLog: join(dir, 'install-console.log'),
    rootPassword: join(dir, 'root-password'),
    meta,
  };
}

/** A sparse (and, where the file system can, reflinked) copy. */
export async function sparseCopy(from: string, to: string, signal?: AbortSignal): Promise<void> {
  const result = await execa('cp', ['--sparse=always', '--reflink=auto', from, to], { reject: false, cancelSignal: signal, stdin: 'ignore' });
  if (result.exitCode !== 0) {
    rmSync(to, { force: true });
    throw new OzkitError(/No space/i.test(result.stderr) ? 'NO_SPACE' : 'IO', `copying ${from} to ${to} failed: ${result.stderr.trim() || result.shortMessage}`);
  }
}

/**
 * Stores a finished install. Built in a private temporary directory and renamed into place,
 * so a concurrent run storing the same key, or a reader, never sees half an entry; if another
 * run got there first, its entry stays and ours is dropped.
 */
export async function storeJeos(
  jeosDir: string,
  key: string,
  source: { image: string; privateKey: string; publicKey: string; consoleLog: string; generatedRootPassword?: string },
  meta: Omit<JeosMeta, 'key' | 'createdAt'>,
  signal?: AbortSignal,
): Promise<JeosEntry> {
  mkdirSync(jeosDir, { recursive: true });
  const tmp = join(jeosDir, `.tmp-${key.slice(0, 16)}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  mkdirSync(tmp, { mode: 0o700 });
  try {
    const full: JeosMeta = { key, createdAt: new Date().toISOString(), ...meta };
    const staged = entryFor(tmp, key, full);
    await sparseCopy(source.image, staged.image, signal);
    copyFileSync(source.privateKey, staged.privateKey);
    chmodSync(staged.privateKey, 0o600);
    copyFileSync(source.publicKey, staged.publicKey);
    if (existsSync(source.consoleLog)) copyFileSync(source.consoleLog, staged.consoleLog);
    if (source.generatedRootPassword) {
      copyFileSync(source.generatedRootPassword, staged.rootPassword);
      chmodSync(staged.rootPassword, 0o600);
    }
    writeFileSync(join(tmp, 'meta.json'), JSON.stringify(full, null, 2) + '\n');
    const dir = join(jeosDir, key);
    try {
      renameSync(tmp, dir);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
      rmSync(tmp, { recursive: true, force: true });
    }
    return entryFor(dir, key, full);
  } catch (error) {
    rmSync(tmp, { recursive: true, force: true });
    throw error;
  }
}

/**
 * A disk for this build from a cached install: a qcow2 overlay on the cached image (instant;
 * the cache entry must then stay), or a sparse/reflink copy for raw images.
 */
export async function cloneJeos(entry: JeosEntry, target: string, signal?: AbortSignal): Promise<'overlay' | 'copy'> {
  if (entry.meta.parts.format === 'qcow2') {
    await createDisk(target, 'qcow2', entry.meta.parts.sizeBytes, { backing: { path: entry.image, format: 'qcow2' }, signal });
    return 'overlay';
  }
  await sparseCopy(entry.image, target, signal);
  return 'copy';
}
