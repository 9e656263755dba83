import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { OzkitError } from '@ozkit/errors';

/** Writes a whole file or nothing: a temp file beside the target, then rename. */
export async function writeFileAtomic(path: string, content: string): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(tmp, content, { mode: 0o644 });
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw new OzkitError('IO', `${path}: cannot write: ${(error as Error).message}`, { cause: error });
  }
}
