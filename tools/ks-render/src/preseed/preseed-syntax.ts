/**
 * debconf preseed files as `debconf-set-selections` and d-i read them: one
 * `owner question type value` per logical line, `#` comment lines, a trailing backslash
 * continuing a line. Every entry keeps the physical lines it came from, so a user's file can be
 * edited in place and otherwise passed on exactly as written.
 */

export const DEBCONF_TYPES = new Set(['string', 'boolean', 'select', 'multiselect', 'note', 'text', 'password', 'title', 'error', 'seen']);

export interface PreseedEntry {
  owner: string;
  question: string;
  type: string;
  value: string;
  /** First and last physical line (1-based). */
  line: number;
  endLine: number;
}

export interface PreseedProblem {
  line: number;
  column?: number;
  message: string;
}

export interface PreseedDocument {
  lines: string[];
  entries: PreseedEntry[];
  errors: PreseedProblem[];
}

export function parsePreseed(text: string): PreseedDocument {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const entries: PreseedEntry[] = [];
  const errors: PreseedProblem[] = [];
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    if (/^\s*(#|$)/.test(lines[i])) continue;
    let logical = lines[i];
    while (/\\$/.test(logical) && i + 1 < lines.length) {
      logical = logical.slice(0, -1) + lines[++i].replace(/^\s+/, ' ');
    }
    const m = /^\s*(\S+)\s+(\S+)\s+(\S+)(?:[ \t](.*))?$/.exec(logical);
    if (!m) {
      errors.push({ line: start + 1, column: 1, message: 'not a preseed line: expected "owner question type value" (e.g. "d-i time/zone string UTC")' });
      continue;
    }
    const [, owner, question, type, value = ''] = m;
    if (!DEBCONF_TYPES.has(type)) {
      const column = logical.indexOf(type, owner.length + question.length) + 1;
      errors.push({ line: start + 1, column, message: `unknown debconf type "${type}" for ${question} (known: ${[...DEBCONF_TYPES].join(', ')})` });
      continue;
    }
    const trimmedValue = type === 'password' ? value : value.replace(/\s+$/, '');
    if (type === 'boolean' && !/^(true|false)$/.test(trimmedValue.trim()))
      errors.push({ line: start + 1, message: `${question}: a boolean must be "true" or "false", not "${trimmedValue}"` });
    entries.push({ owner, question, type, value: trimmedValue, line: start + 1, endLine: i + 1 });
  }
  return { lines, entries, errors };
}

export function findEntry(doc: PreseedDocument, question: string): PreseedEntry | undefined {
  const all = doc.entries.filter((e) => e.question === question);
  return all[all.length - 1];
}

/** One preseed line; values are single-line by construction (callers refuse newlines). */
export function preseedLine(owner: string, question: string, type: string, value: string): string {
  if (/[\r\n]/.test(value)) throw new Error(`preseed value for ${question} contains a line break`);
  return value === '' ? `${owner} ${question} ${type}` : `${owner} ${question} ${type} ${value}`;
}
