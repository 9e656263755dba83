import { readdir, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, posix, resolve } from 'node:path';
import { OzkitError } from '@ozkit/errors';
import type { Template } from '@ozkit/build-document';
import type { IsoChange } from './iso-image.js';

/**
 * The TDL's `<install type="iso"><extras>`: files and directories Oz copies onto the ISO
 * (`_add_iso_extras`). Relative sources are relative to the TDL file.
 */
export async function isoExtras(template: Template): Promise<{ changes: IsoChange[]; fingerprint: string[] }> {
  const install = template.os.install;
  if (install.type !== 'iso' || !install.extras?.length) return { changes: [], fingerprint: [] };
  const changes: IsoChange[] = [];
  const fingerprint: string[] = [];
  for (const extra of install.extras) {
    const local = isAbsolute(extra.source) ? extra.source : resolve(dirname(template.source.path), extra.source);
    const where = `${template.source.path}: <extras> ${extra.kind} ${extra.source}`;
    let info;
    try {
      info = await stat(local);
    } catch (error) {
      throw new OzkitError('INPUT_MISSING', `${where}: not found (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
    if (extra.kind === 'file' ? !info.isFile() : !info.isDirectory())
      throw new OzkitError('BAD_TDL', `${where}: is not a ${extra.kind === 'file' ? 'regular file' : 'directory'}`);
    const isoPath = posix.join('/', extra.destination);
    if (isoPath === '/') throw new OzkitError('BAD_TDL', `${where}: destination must not be the ISO root`);
    changes.push({ local, isoPath });
    // What the cached boot ISO depends on: every file's path, size and modification time.
    fingerprint.push(`${isoPath}=${local}`, ...(await listing(local, info.isDirectory())));
  }
  return { changes, fingerprint };
}

async function listing(path: string, isDir: boolean): Promise<string[]> {
  if (!isDir) {
    const s = await stat(path);
    return [`${path} ${s.size} ${s.mtimeMs}`];
  }
  const out: string[] = [];
  for (const entry of (await readdir(path, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = join(path, entry.name);
    out.push(...(await listing(p, entry.isDirectory())));
  }
  return out;
}
