import { statfs } from 'node:fs/promises';
import { OzkitError } from '@ozkit/errors';

/** Bytes available to an unprivileged writer on the filesystem holding `dir`. */
export async function freeBytes(dir: string): Promise<number> {
  const s = await statfs(dir);
  return Number(s.bavail) * Number(s.bsize);
}

/**
 * Fails with NO_SPACE before a big write that cannot fit, rather than after filling the
 * disk. `margin` keeps some room for everything else on that filesystem.
 */
export async function ensureFreeSpace(dir: string, needed: number, what: string, margin = 64 * 1024 * 1024): Promise<void> {
  const free = await freeBytes(dir);
  if (free < needed + margin)
    throw new OzkitError('NO_SPACE', `${dir}: not enough free space for ${what}: need ${formatBytes(needed)}, ${formatBytes(free)} free`, {
      hint: 'free some space, or point the cache elsewhere with --cache-dir / $OZKIT_CACHE_DIR',
    });
}

function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v.toFixed(0) : v.toFixed(1)} ${units[i]}`;
}
