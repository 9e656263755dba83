import { chmodSync, mkdirSync } from 'node:fs';
import { chmod, readFile, readdir, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OzkitError } from '@ozkit/errors';
import { acquireLock, type FileLock, type LockOptions } from './file-lock.js';
import { ensureFreeSpace } from './free-space.js';
import { cloneFile } from './file-copy.js';

export interface StoreEntry {
  key: string;
  path: string;
  bytes: number;
  mtime: Date;
}

/** A small JSON record naming a stored object, e.g. "this URL is that sha256". */
export interface StoreRef {
  key: string;
  [meta: string]: unknown;
}

const KEY = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,200}$/;

/**
 * A directory of immutable objects named by key (usually a content hash), shared by
 * concurrent builds:
 *   <root>/<key>            finished objects, only ever renamed into place
 *   <root>/.partial/<key>   interrupted downloads kept for resuming
 *   <root>/.tmp/            work files of running writers
 *   <root>/.locks/<key>     flock targets, one per key
 *   <root>/.refs/<name>     JSON refs (URL → content key, build inputs → key)
 */
export interface ContentStoreOptions {
  /**
   * The objects carry secrets (boot media holding a root password hash or a key): folders 0700,
   * objects and refs 0600, so no other user of a shared cache can read them.
   */
  private?: boolean;
}

export class ContentStore {
  readonly root: string;
  readonly private: boolean;

  constructor(root: string, options: ContentStoreOptions = {}) {
    this.root = root;
    this.private = Boolean(options.private);
    for (const dir of [root, join(root, '.partial'), join(root, '.tmp'), join(root, '.locks'), join(root, '.refs')]) {
      try {
        mkdirSync(dir, { recursive: true, mode: this.private ? 0o700 : 0o777 });
        // A store made before it held secrets is closed up too.
        if (this.private) chmodSync(dir, 0o700);
      } catch (error) {
        throw new OzkitError('IO', `${dir}: cannot create cache directory: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {
          hint: 'check the cache directory setting (--cache-dir, $OZKIT_CACHE_DIR, [paths] data_dir)',
        });
      }
    }
  }

  static checkKey(key: string): string {
    if (!KEY.test(key)) throw new OzkitError('INTERNAL', `invalid cache key ${JSON.stringify(key)}`);
    return key;
  }

  path(key: string): string {
    return join(this.root, ContentStore.checkKey(key));
  }

  partialPath(key: string): string {
    return join(this.root, '.partial', ContentStore.checkKey(key));
  }

  /** A fresh work-file name on the store's filesystem, so finishing is a rename. */
  tempPath(key: string): string {
    return join(this.root, '.tmp', `${ContentStore.checkKey(key)}.${process.pid}.${Math.random().toString(36).slice(2, 10)}`);
  }

  async get(key: string): Promise<StoreEntry | undefined> {
    const path = this.path(key);
    try {
      const s = await stat(path);
      if (!s.isFile()) return undefined;
      return { key, path, bytes: s.size, mtime: s.mtime };
    } catch {
      return undefined;
    }
  }

  /** Marks an object as used now (for least-recently-used pruning). */
  async touch(key: string): Promise<void> {
    const now = new Date();
    await utimes(this.path(key), now, now).catch(() => undefined);
  }

  lock(key: string, options: LockOptions = {}): Promise<FileLock> {
    return acquireLock(join(this.root, '.locks', ContentStore.checkKey(key)), options);
  }

  /** Runs `fn` while holding the lock for `key`. */
  async withLock<T>(key: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
    const lock = await this.lock(key, options);
    try {
      return await fn();
    } finally {
      await lock.release();
    }
  }

  /** Moves a finished work file into place under `key` (atomic: readers see all or nothing). */
  async commit(key: string, workFile: string): Promise<StoreEntry> {
    const path = this.path(key);
    await rename(workFile, path);
    const s = await stat(path);
    return { key, path, bytes: s.size, mtime: s.mtime };
  }

  /**
   * Stores an object produced by `write(workFile)`; on any failure the work file is removed
   * and nothing appears under `key`. With `expectedBytes` the free space is checked first.
   */
  async put(key: string, write: (workFile: string) => Promise<void>, options: { expectedBytes?: number } = {}): Promise<StoreEntry> {
    if (options.expectedBytes !== undefined) await ensureFreeSpace(this.root, options.expectedBytes, `cache object ${key}`);
    const work = this.tempPath(key);
    try {
      await write(work);
      if (this.private) await chmod(work, (await stat(work)).isDirectory() ? 0o700 : 0o600);
      return await this.commit(key, work);
    } catch (error) {
      await rm(work, { force: true, recursive: true });
      throw error;
    }
  }

  /** Stores a copy (reflink clone when possible) of an existing file. */
  async putFile(key: string, source: string): Promise<StoreEntry> {
    const s = await stat(source);
    return this.put(key, (work) => cloneFile(source, work), { expectedBytes: s.size });
  }

  async remove(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
    await rm(this.partialPath(key), { force: true });
  }

  async list(): Promise<StoreEntry[]> {
    const names = await readdir(this.root);
    const out: StoreEntry[] = [];
    for (const name of names) {
      if (name.startsWith('.') || !KEY.test(name)) continue;
      const entry = await this.get(name);
      if (entry) out.push(entry);
    }
    return out;
  }

  async readRef(name: string): Promise<StoreRef | undefined> {
    try {
      const value = JSON.parse(await readFile(join(this.root, '.refs', ContentStore.checkKey(name)), 'utf8')) as StoreRef;
      return typeof value?.key === 'string' ? value : undefined;
    } catch {
      return undefined;
    }
  }

  async writeRef(name: string, ref: StoreRef): Promise<void> {
    const work = this.tempPath(name);
    await writeFile(work, JSON.stringify(ref) + '\n', { mode: this.private ? 0o600 : 0o644 });
    await rename(work, join(this.root, '.refs', ContentStore.checkKey(name)));
  }

  async removeRef(name: string): Promise<void> {
    await rm(join(this.root, '.refs', ContentStore.checkKey(name)), { force: true });
  }
}
