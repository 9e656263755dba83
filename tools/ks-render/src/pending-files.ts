import { chmod, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { OzkitError } from '@ozkit/errors';

/**
 * The files one render produces, written all or nothing: each goes to a temp file beside
 * its target first, and only when every temp file is complete are they renamed into place.
 */
export class PendingFiles {
  private readonly files: { path: string; content: string; mode: number }[] = [];

  add(path: string, content: string, mode = 0o644): void {
    this.files.push({ path, content, mode });
  }

  get paths(): string[] {
    return this.files.map((f) => f.path);
  }

  async commit(): Promise<void> {
    const temps: { temp: string; path: string }[] = [];
    const placed: string[] = [];
    try {
      for (const f of this.files) {
        const temp = join(dirname(f.path), `.${basename(f.path)}.${process.pid}.tmp`);
        temps.push({ temp, path: f.path });
        // Created with the final mode, so a private key is never readable by others, even briefly.
        const handle = await open(temp, 'w', f.mode);
        try {
          await handle.writeFile(f.content);
          await handle.sync();
        } finally {
          await handle.close();
        }
        await chmod(temp, f.mode);
      }
      for (const { temp, path } of temps) {
        await rename(temp, path);
        placed.push(path);
      }
    } catch (error) {
      await Promise.all([...temps.map((t) => rm(t.temp, { force: true })), ...placed.map((p) => rm(p, { force: true }))]);
      const err = error as NodeJS.ErrnoException;
      throw new OzkitError(err.code === 'ENOSPC' ? 'NO_SPACE' : 'IO', `cannot write the answer files: ${err.message}`, { cause: error });
    }
  }
}
