import { createHash } from 'node:crypto';
import { isAbsolute, resolve, basename } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { OzkitError } from '@ozkit/errors';

/** Where media comes from: a URL to download (http(s) or ftp), or a file used in place. */
export type MediaSource =
  { kind: 'http'; url: string; name: string } | { kind: 'ftp'; url: string; name: string } | { kind: 'file'; url: string; path: string; name: string };

/** `http(s)://…`, `ftp://…`, `file://…` or a plain path (relative to `cwd`). */
export function parseMediaSource(value: string, cwd = process.cwd(), where = 'media'): MediaSource {
  const v = value.trim();
  const remote = /^(https?|ftp):\/\//i.exec(v);
  if (remote) {
    let url: URL;
    try {
      url = new URL(v);
    } catch {
      throw new OzkitError('BAD_TDL', `${where}: "${v}" is not a valid URL`);
    }
    const name = decodeURIComponent(url.pathname.slice(url.pathname.lastIndexOf('/') + 1));
    return { kind: remote[1].toLowerCase() === 'ftp' ? 'ftp' : 'http', url: url.toString(), name };
  }
  if (/^file:/i.test(v)) {
    let path: string;
    try {
      path = fileURLToPath(v);
    } catch {
      throw new OzkitError('BAD_TDL', `${where}: "${v}" is not a valid file URL`);
    }
    return { kind: 'file', url: pathToFileURL(path).toString(), path, name: basename(path) };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v))
    throw new OzkitError('BAD_TDL', `${where}: unsupported URL scheme in "${v}"`, { hint: 'use http://, https://, ftp://, file:// or a path' });
  const path = isAbsolute(v) ? v : resolve(cwd, v);
  return { kind: 'file', url: pathToFileURL(path).toString(), path, name: basename(path) };
}

/** A short, stable cache key for a string (URLs, paths). */
export function keyFor(prefix: string, text: string): string {
  return `${prefix}-${createHash('sha256').update(text).digest('hex').slice(0, 40)}`;
}

/** Joins a tree URL and a relative path (`http://m/os` + `images/pxeboot/vmlinuz`). */
export function treeUrl(base: string, rel: string): string {
  return new URL(rel.replace(/^\/+/, ''), base.endsWith('/') ? base : base + '/').toString();
}
