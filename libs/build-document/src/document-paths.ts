/**
 * The one rule for paths that come from a build document: the document travels through pipes
 * and files anyone may edit, so a path in it is trusted only when it points where the pipeline
 * writes — inside the workdir, the cache (or a folder the user configured for this) — or is an
 * input the user named on the command line or in the TDL. Symlinks are resolved first, so a
 * link inside the workdir that points out is refused too. Deletions only ever happen inside
 * the workdir.
 */
import { realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, normalize, relative } from 'node:path';
import { OzkitError } from '@ozkit/errors';

export interface BuildScope {
  /** The document's workdir (where stages write). */
  workdir?: string;
  /** Other folders the pipeline writes to: the cache, a configured screenshot folder. */
  folders?: readonly (string | undefined)[];
  /** Files the user named (command line, TDL): accepted wherever they are. */
  inputs?: readonly (string | undefined)[];
}

export interface PathCheck {
  /** `read` (default), `write`, or `delete` (workdir only). */
  use?: 'read' | 'write' | 'delete';
  /** The path must name a regular file (no FIFO, device or folder): reads then always end. */
  regularFile?: boolean;
}

/** Folders no build may use as its workdir: a stage writes and deletes there. */
const SYSTEM_FOLDERS = [
  '/',
  '/bin',
  '/boot',
  '/dev',
  '/etc',
  '/home',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/opt',
  '/proc',
  '/root',
  '/run',
  '/sbin',
  '/srv',
  '/sys',
  '/tmp',
  '/usr',
  '/var',
  '/var/tmp',
  '/var/lib',
  '/var/log',
];
/** …nor anything inside these. */
const SYSTEM_TREES = ['/bin', '/boot', '/dev', '/etc', '/lib', '/lib32', '/lib64', '/proc', '/sbin', '/sys', '/usr'];

/** Why `dir` cannot be a workdir (the root, a system folder or inside one), or undefined when it can. */
export function workdirProblem(dir: string): string | undefined {
  const clean = normalize(dir).replace(/(.)\/+$/, '$1');
  if (SYSTEM_FOLDERS.includes(clean)) return `${clean} is a system folder, not a build workdir`;
  const tree = SYSTEM_TREES.find((t) => clean.startsWith(t + '/'));
  if (tree) return `${clean} is inside the system folder ${tree}, not a build workdir`;
  return undefined;
}

/** The real path of `path`, following symlinks; a missing tail is appended to its nearest existing parent's real path. */
export function resolveReal(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    const parent = dirname(path);
    if (parent === path) return path;
    return join(resolveReal(parent), basename(path));
  }
}

const isInside = (path: string, folder: string): boolean => {
  const rel = relative(folder, path);
  return rel === '' || (rel !== '..' && !rel.startsWith('../') && !isAbsolute(rel));
};

/**
 * Checks a path read from the document (`where` names its key, e.g. `failure.screenshots[0]`)
 * and returns its real path, the one to use. Throws BAD_DOCUMENT (65) when it points outside
 * the build.
 */
export function checkDocumentPath(path: string, where: string, scope: BuildScope, check: PathCheck = {}): string {
  const use = check.use ?? 'read';
  if (typeof path !== 'string' || !isAbsolute(path)) throw new OzkitError('BAD_DOCUMENT', `${where}: must be an absolute path (got ${JSON.stringify(path)})`);
  const real = resolveReal(path);
  const workdir = scope.workdir === undefined ? undefined : resolveReal(scope.workdir);
  const inWorkdir = workdir !== undefined && isInside(real, workdir) && real !== workdir;
  let allowed: boolean;
  if (use === 'delete') allowed = inWorkdir;
  else {
    const folders = (scope.folders ?? []).filter((f): f is string => typeof f === 'string').map(resolveReal);
    const inputs = use === 'read' ? (scope.inputs ?? []).filter((f): f is string => typeof f === 'string').map(resolveReal) : [];
    allowed = inWorkdir || folders.some((f) => isInside(real, f)) || inputs.includes(real);
  }
  if (!allowed) {
    const shown = real === path ? path : `${path} (→ ${real})`;
    const inside =
      use === 'delete'
        ? `the workdir ${workdir ?? '(none)'}`
        : `the workdir ${workdir ?? '(none)'}${(scope.folders ?? []).some(Boolean) ? ' or ' + (scope.folders ?? []).filter(Boolean).join(', ') : ''}`;
    throw new OzkitError(
      'BAD_DOCUMENT',
      `${where}: ${shown} is outside the build: a document may only ${use === 'read' ? 'name files' : use === 'write' ? 'have files written' : 'have files deleted'} inside ${inside}`,
      {
        hint: 'the document was edited or comes from another machine; rerun the stage that wrote this key',
      },
    );
  }
  if (check.regularFile) {
    let kind: string | undefined;
    try {
      const st = statSync(real);
      if (!st.isFile())
        kind = st.isDirectory() ? 'a folder' : st.isFIFO() ? 'a FIFO' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : 'not a regular file';
    } catch {
      // A missing file is the reader's error to report (66), with its own words.
    }
    if (kind) throw new OzkitError('BAD_DOCUMENT', `${where}: ${path} is ${kind}, not a regular file`);
  }
  return real;
}
