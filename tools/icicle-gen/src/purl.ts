/**
 * Package URLs (purl-spec / ECMA-427). Components are UTF-8 percent-encoded except the
 * characters the spec never encodes: A-Z a-z 0-9 . - _ ~ and the colon. So `+` (common in
 * Debian versions: 9+deb12u4) becomes %2B — a bare `+` would read back as a space in
 * form-decoding parsers — while an epoch colon (`1:9.2p1-2`) stays as it is.
 * Qualifiers are sorted by key and empty ones are left out, as the canonical form wants.
 */
export interface PackageUrlParts {
  type: string;
  namespace?: string;
  name: string;
  version?: string;
  qualifiers?: Record<string, string | undefined>;
}

export function encodePurlComponent(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9._~:-]/.test(c)) out += c;
    else out += '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

export function formatPurl(parts: PackageUrlParts): string {
  let purl = `pkg:${parts.type.toLowerCase()}/`;
  if (parts.namespace) purl += parts.namespace.split('/').map(encodePurlComponent).join('/') + '/';
  purl += encodePurlComponent(parts.name);
  if (parts.version !== undefined && parts.version !== '') purl += '@' + encodePurlComponent(parts.version);
  const qualifiers = Object.entries(parts.qualifiers ?? {})
    .filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '')
    .map(([k, v]) => [k.toLowerCase(), v] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (qualifiers.length > 0) purl += '?' + qualifiers.map(([k, v]) => `${k}=${encodePurlComponent(v)}`).join('&');
  return purl;
}

/** Reads a purl back into its parts (for checks and tests; decodes %XX). */
export function parsePurl(purl: string): PackageUrlParts {
  const m = /^pkg:([a-zA-Z.+-][a-zA-Z0-9.+-]*)\/([^?#]*?)(?:@([^?#@]*))?(?:\?([^#]*))?(?:#.*)?$/.exec(purl);
  if (!m) throw new Error(`not a purl: ${purl}`);
  const path = m[2].split('/');
  const name = decodeURIComponent(path.pop() ?? '');
  const qualifiers: Record<string, string> = {};
  for (const pair of (m[4] ?? '').split('&').filter((p) => p !== '')) {
    const eq = pair.indexOf('=');
    qualifiers[pair.slice(0, eq)] = decodeURIComponent(pair.slice(eq + 1));
  }
  return {
    type: m[1],
    ...(path.length > 0 ? { namespace: path.map(decodeURIComponent).join('/') } : {}),
    name,
    ...(m[3] !== undefined ? { version: decodeURIComponent(m[3]) } : {}),
    qualifiers,
  };
}
