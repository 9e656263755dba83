import { OzkitError } from '@ozkit/errors';

export interface IniValue {
  value: string;
  line: number;
}

/** section → key → value; section and key names lower-cased, as Python's ConfigParser does. */
export type IniDocument = Map<string, Map<string, IniValue>>;

/**
 * Parses the INI dialect of Python's ConfigParser (Oz's oz.cfg): `[section]`, `key = value`
 * or `key: value`, `#`/`;` comment lines, indented continuation lines.
 */
export function parseIni(text: string, file: string): IniDocument {
  const doc: IniDocument = new Map();
  let section: Map<string, IniValue> | undefined;
  let last: IniValue | undefined;
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    if (/^\s*([#;].*)?$/.test(raw)) {
      last = undefined;
      return;
    }
    if (/^\s/.test(raw) && last) {
      last.value += '\n' + raw.trim();
      return;
    }
    const header = /^\[([^\]]+)\]\s*$/.exec(raw.trim());
    if (header) {
      const name = header[1].trim().toLowerCase();
      section = doc.get(name) ?? new Map();
      doc.set(name, section);
      last = undefined;
      return;
    }
    const kv = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(raw.trim());
    if (!kv) throw new OzkitError('BAD_CONFIG', `${file}:${line}:1: expected "key = value" or "[section]"`);
    if (!section) throw new OzkitError('BAD_CONFIG', `${file}:${line}:1: "${kv[1]}" is outside any [section]`);
    last = { value: kv[2], line };
    section.set(kv[1].toLowerCase(), last);
  });
  return doc;
}
