import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The host's apt sources as apt reads them: `/etc/apt/sources.list` and `sources.list.d/*.list`
 * (one-line `deb [options] URI suite component…`), `sources.list.d/*.sources` (deb822 stanzas).
 * Files with other endings (`.save`, `.disabled-by-…`, `.dpkg-old`) are ignored, as apt does.
 */
export interface AptSource {
  types: string[];
  uris: string[];
  suites: string[];
  components: string[];
  /** deb822 `Enabled: no` makes it false. */
  enabled: boolean;
  file: string;
  /** The line the entry (or stanza) starts on, from 1. */
  line: number;
}

/** Every entry, in apt's order: sources.list first, then sources.list.d by name. Unreadable files are skipped. */
export function readAptSources(root = '/'): AptSource[] {
  const etc = join(root, 'etc/apt');
  const files = [join(etc, 'sources.list')];
  const dir = join(etc, 'sources.list.d');
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    // No sources.list.d: only sources.list counts.
  }
  files.push(
    ...names
      .filter((n) => /^[A-Za-z0-9_.-]+\.(list|sources)$/.test(n))
      .sort()
      .map((n) => join(dir, n)),
  );
  const entries: AptSource[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    entries.push(...(file.endsWith('.sources') ? parseDeb822Sources(text, file) : parseOneLineSources(text, file)));
  }
  return entries;
}

/** One-line format: `deb [ arch=amd64 signed-by=… ] URI suite [component…]`, `#` to the end of the line a comment. */
export function parseOneLineSources(text: string, file: string): AptSource[] {
  const entries: AptSource[] = [];
  text.split('\n').forEach((raw, index) => {
    let line = raw.replace(/#.*$/, '').trim();
    const type = /^(deb|deb-src)\s+/.exec(line);
    if (!type) return;
    line = line.slice(type[0].length);
    if (line.startsWith('[')) {
      const close = line.indexOf(']');
      if (close < 0) return;
      line = line.slice(close + 1).trim();
    }
    // A cdrom URI holds the disc's label in brackets, spaces and all.
    const fields = /^(cdrom:\[[^\]]*\]\S*|\S+)\s+(\S+)\s*(.*)$/.exec(line);
    if (!fields) return;
    const components = fields[3].split(/\s+/).filter(Boolean);
    entries.push({ types: [type[1]], uris: [fields[1]], suites: [fields[2]], components, enabled: true, file, line: index + 1 });
  });
  return entries;
}

/** deb822 stanzas separated by blank lines; `#` lines are comments, indented lines continue a field. */
export function parseDeb822Sources(text: string, file: string): AptSource[] {
  const entries: AptSource[] = [];
  let fields = new Map<string, string>();
  let start = 0;
  let last: string | undefined;
  const flush = () => {
    if (fields.size > 0) {
      const list = (key: string) => (fields.get(key) ?? '').split(/\s+/).filter(Boolean);
      entries.push({
        types: list('types'),
        uris: list('uris'),
        suites: list('suites'),
        components: list('components'),
        enabled: !/^(no|false|0)$/i.test((fields.get('enabled') ?? 'yes').trim()),
        file,
        line: start,
      });
    }
    fields = new Map();
    last = undefined;
  };
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/\r$/, '');
    if (line.startsWith('#')) return;
    if (line.trim() === '') return flush();
    if (/^\s/.test(line)) {
      if (last !== undefined) fields.set(last, `${fields.get(last)} ${line.trim()}`);
      return;
    }
    const colon = line.indexOf(':');
    if (colon < 0) return;
    if (fields.size === 0) start = index + 1;
    last = line.slice(0, colon).trim().toLowerCase();
    fields.set(last, line.slice(colon + 1).trim());
  });
  flush();
  return entries;
}
