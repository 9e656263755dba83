import { statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The scheme of a URL, lowercased, or undefined when the text is not a URL. */
export function urlScheme(text: string): string | undefined {
  return /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(text)?.[1].toLowerCase();
}

/**
 * The local path a `file://` URL names. `file:///abs` and `file://localhost/abs` are
 * absolute; Oz reads `file://dir/x` as the relative path `dir/x` (host + path), which is
 * kept for compatibility and resolved against `cwd`.
 */
export function fileUrlPath(url: string, cwd: string): string {
  const rest = url.slice('file://'.length);
  const slash = rest.indexOf('/');
  const host = slash === -1 ? rest : rest.slice(0, slash);
  if (host === '' || host.toLowerCase() === 'localhost') {
    try {
      return fileURLToPath('file://' + rest.slice(host.length));
    } catch {
      return rest.slice(host.length);
    }
  }
  let relative = rest;
  try {
    relative = decodeURIComponent(rest);
  } catch {
    // Not percent-encoded after all: use it as written.
  }
  return resolve(cwd, relative);
}

/** `file:///…` for an absolute path. */
export function fileUrlOf(path: string): string {
  return pathToFileURL(path).href;
}

/** Why a local content file cannot be used, or undefined when it is a readable regular file. */
export function localFileProblem(path: string): string | undefined {
  if (!isAbsolute(path)) return `${path} is not an absolute path`;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) return `${path} is not a regular file`;
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? `${path} does not exist` : `${path} cannot be read (${code ?? 'error'})`;
  }
}

/** The host names of every `scheme://host` in a text (a Debian repository "URL" may be a whole `deb …` line). */
export function urlHosts(text: string): string[] {
  const hosts: string[] = [];
  for (const m of text.matchAll(/[a-zA-Z][a-zA-Z0-9+.-]*:\/\/([^/\s?#]*)/g)) {
    let authority = m[1];
    const at = authority.lastIndexOf('@');
    if (at !== -1) authority = authority.slice(at + 1);
    const bracket = /^\[([^\]]*)\]/.exec(authority);
    hosts.push((bracket ? bracket[1] : authority.replace(/:[0-9]*$/, '')).toLowerCase());
  }
  return hosts;
}

/**
 * Names the guest cannot reach the host by: they mean the guest itself. The address is parsed
 * the way a URL parser (and the installer's resolver) reads it, so `127.1`, `0x7f.0.0.1`,
 * `2130706433`, `[::ffff:127.0.0.1]` and `0.0.0.0` count as loopback too.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/\.$/, '').toLowerCase();
  if (h === 'localhost' || h === 'localhost.localdomain' || h.endsWith('.localhost')) return true;
  let normal: string;
  try {
    normal = new URL(`http://${h.includes(':') && !h.startsWith('[') ? `[${h}]` : h}/`).hostname;
  } catch {
    return false;
  }
  if (/^127\.\d+\.\d+\.\d+$/.test(normal) || normal === '0.0.0.0') return true;
  const v6 = normal.replace(/^\[|\]$/g, '');
  return v6 === '::1' || v6 === '::' || /^::ffff:(7f[0-9a-f]{2}:[0-9a-f]{1,4}|0:0)$/.test(v6) || /^::ffff:127\./.test(v6);
}
