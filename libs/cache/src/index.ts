export { ContentStore, type ContentStoreOptions, type StoreEntry, type StoreRef } from './content-store.js';
export { acquireLock, type FileLock, type LockOptions } from './file-lock.js';
export { ensureFreeSpace, freeBytes } from './free-space.js';
export { cloneFile, sparseCopy } from './file-copy.js';
export {
  openPackageCache,
  guestProxyUrl,
  aptProxyRemovalScript,
  APT_CACHER_NG,
  DEFAULT_PACKAGE_CACHE_PORT,
  USER_NETWORK_HOST,
  type PackageCache,
  type PackageCacheOptions,
} from './package-cache.js';
