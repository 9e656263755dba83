/**
 * A structural reader for kickstart files: commands (shell-quoted words, `#` comments) and
 * `%section … %end` blocks, with line and column for every problem. It keeps the original text
 * of every line so a user's file can be passed on exactly as written.
 */

export const SECTION_NAMES = ['%packages', '%pre', '%pre-install', '%post', '%onerror', '%traceback', '%addon', '%anaconda', '%certificate'] as const;

export interface KsProblem {
  line: number;
  column?: number;
  message: string;
}

export interface KsCommand {
  kind: 'command';
  line: number;
  /** As written (e.g. `Text`); compare with `name.toLowerCase()`. */
  name: string;
  args: string[];
}

export interface KsSection {
  kind: 'section';
  line: number;
  name: string;
  args: string[];
  /** Body lines, exactly as written. */
  body: { line: number; text: string }[];
  endLine?: number;
}

export interface KsDirective {
  kind: 'include';
  line: number;
  name: string;
  path: string;
}

export type KsItem = KsCommand | KsSection | KsDirective;

export interface KsDocument {
  lines: string[];
  items: KsItem[];
  errors: KsProblem[];
  warnings: KsProblem[];
}

/**
 * Splits a command line the way pykickstart does (shlex, POSIX, comments on): words,
 * single quotes literal, double quotes with backslash escapes, `#` at a word start ends the line.
 */
export function splitWords(text: string): { words: string[]; error?: { column: number; message: string } } {
  const words: string[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    while (i < n && /\s/.test(text[i])) i++;
    if (i >= n) break;
    if (text[i] === '#') break;
    let word = '';
    while (i < n && !/\s/.test(text[i])) {
      const c = text[i];
      if (c === "'") {
        const close = text.indexOf("'", i + 1);
        if (close < 0) return { words, error: { column: i + 1, message: 'unterminated single quote' } };
        word += text.slice(i + 1, close);
        i = close + 1;
      } else if (c === '"') {
        const start = i;
        i++;
        let closed = false;
        while (i < n) {
          if (text[i] === '\\' && i + 1 < n && '"\\$`\n'.includes(text[i + 1])) {
            word += text[i + 1];
            i += 2;
          } else if (text[i] === '"') {
            closed = true;
            i++;
            break;
          } else word += text[i++];
        }
        if (!closed) return { words, error: { column: start + 1, message: 'unterminated double quote' } };
      } else if (c === '\\' && i + 1 < n) {
        word += text[i + 1];
        i += 2;
      } else {
        word += c;
        i++;
      }
    }
    words.push(word);
  }
  return { words };
}

function isSectionHeader(word: string): boolean {
  return word.startsWith('%') && word !== '%end' && word !== '%include' && word !== '%ksappend';
}

export function parseKickstart(text: string): KsDocument {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const items: KsItem[] = [];
  const errors: KsProblem[] = [];
  const warnings: KsProblem[] = [];
  let open: KsSection | undefined;

  lines.forEach((raw, index) => {
    const lineNo = index + 1;
    const trimmed = raw.trim();
    const first = trimmed.split(/\s+/)[0] ?? '';
    if (open) {
      if (first === '%end') {
        open.endLine = lineNo;
        open = undefined;
        return;
      }
      // A new section header inside a section: the previous one was never closed.
      if (isSectionHeader(first) && (SECTION_NAMES as readonly string[]).includes(first)) {
        errors.push({ line: open.line, column: 1, message: `${open.name} section has no %end before ${first} at line ${lineNo}` });
        open = undefined;
      } else {
        open.body.push({ line: lineNo, text: raw });
        return;
      }
    }
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const column = raw.indexOf(trimmed[0]) + 1;
    const { words, error } = splitWords(raw);
    if (error) {
      errors.push({ line: lineNo, column: error.column, message: error.message });
      return;
    }
    if (words.length === 0) return;
    const name = words[0];
    if (name === '%end') {
      errors.push({ line: lineNo, column, message: '%end without an open section' });
      return;
    }
    if (name === '%include' || name === '%ksappend') {
      // The release grammar check judges the path.
      items.push({ kind: 'include', line: lineNo, name, path: words[1] ?? '' });
      return;
    }
    if (name.startsWith('%')) {
      // Unknown names are opened too, so their %end closes them; the grammar check reports them.
      open = { kind: 'section', line: lineNo, name, args: words.slice(1), body: [] };
      items.push(open);
      return;
    }
    items.push({ kind: 'command', line: lineNo, name, args: words.slice(1) });
  });
  if (open) {
    const section = open as KsSection;
    errors.push({ line: section.line, column: 1, message: `${section.name} section is never closed with %end` });
  }
  return { lines, items, errors, warnings };
}

export function commands(doc: KsDocument): KsCommand[] {
  return doc.items.filter((i): i is KsCommand => i.kind === 'command');
}

export function sections(doc: KsDocument, name?: string): KsSection[] {
  return doc.items.filter((i): i is KsSection => i.kind === 'section' && (name === undefined || i.name === name));
}

const REBOOT_IN_SCRIPT =
  /(^|[;&|(`]\s*|\bthen\s+|\bdo\s+|\belse\s+)\s*(\/s?bin\/|\/usr\/s?bin\/)?(reboot|halt|poweroff|shutdown|systemctl\s+(reboot|halt|poweroff|kexec)|init\s+[06])(\s|;|&|\||$)/;

/** Shell text that restarts, halts or powers off the machine before the installer is done. */
export function rebootsInScript(text: string): boolean {
  const code = text.replace(/(^|\s)#.*$/, '');
  return REBOOT_IN_SCRIPT.test(code);
}
