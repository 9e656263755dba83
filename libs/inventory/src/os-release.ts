/** The fields of os-release(5) that say which distribution a guest runs. */
export interface OsRelease {
  id: string;
  idLike: string[];
  versionId?: string;
  versionCodename?: string;
  prettyName?: string;
  name?: string;
}

/** Command that prints the guest's os-release (`/etc` first, then the vendor copy, as systemd reads them). */
export const OS_RELEASE_COMMAND = 'cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release';

function unquote(value: string): string {
  const v = value.trim();
  if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v[v.length - 1] === v[0]) {
    const inner = v.slice(1, -1);
    // Shell-style escapes are allowed inside double quotes only.
    return v[0] === '"' ? inner.replace(/\\([\\$"`])/g, '$1') : inner;
  }
  return v;
}

/** Parses os-release(5) text; an absent ID means `linux`, as the spec says. */
export function parseOsRelease(text: string): OsRelease {
  const values = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    values.set(line.slice(0, eq), unquote(line.slice(eq + 1)));
  }
  const result: OsRelease = {
    id: (values.get('ID') || 'linux').toLowerCase(),
    idLike: (values.get('ID_LIKE') ?? '')
      .split(/\s+/)
      .filter((s) => s !== '')
      .map((s) => s.toLowerCase()),
  };
  const versionId = values.get('VERSION_ID');
  if (versionId) result.versionId = versionId;
  const codename = values.get('VERSION_CODENAME');
  if (codename) result.versionCodename = codename;
  const pretty = values.get('PRETTY_NAME');
  if (pretty) result.prettyName = pretty;
  const name = values.get('NAME');
  if (name) result.name = name;
  return result;
}
