import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { OzkitError } from '@ozkit/errors';
import type { Settings } from './settings.js';

/** A name safe to use as one path component. */
export function safeName(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '');
  return cleaned === '' ? 'build' : cleaned.slice(0, 100);
}

/**
 * The workdir of a build: --workdir / $OZKIT_WORKDIR as given, else `<[paths] output_dir>/<name>`,
 * else `./build/<name>` under the current directory. Created if missing; always absolute.
 */
export function resolveWorkdir(settings: Pick<Settings, 'workdir' | 'outputDir'>, templateName: string, cwd = process.cwd()): string {
  const dir = settings.workdir
    ? resolve(cwd, settings.workdir)
    : settings.outputDir
      ? join(settings.outputDir, safeName(templateName))
      : join(resolve(cwd), 'build', safeName(templateName));
  ensureDir(dir, 'workdir');
  return dir;
}

/** A named area of the cache (`isos`, `modified`, `jeos`, `downloads`…), created on demand. */
export function cacheArea(settings: Pick<Settings, 'cacheDir'>, area: string): string {
  const dir = join(settings.cacheDir, area);
  ensureDir(dir, 'cache directory');
  return dir;
}

export function ensureDir(dir: string, what: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new OzkitError('IO', `${dir}: cannot create ${what}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}
