import type { BootEntry } from './boot-entry.js';

interface Line {
  text: string;
  depth: number;
}

/** Splits a grub command line into words, keeping each word's quoting as written. */
export function grubWords(line: string): string[] {
  const words: string[] = [];
  let current = '';
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      current += c;
      if (c === quote) quote = undefined;
      continue;
    }
    if (c === '\\' && i + 1 < line.length) {
      current += c + line[++i];
      continue;
    }
    if (c === "'" || c === '"') {
      quote = c;
      current += c;
      continue;
    }
    if (/\s/.test(c)) {
      if (current) words.push(current);
      current = '';
      continue;
    }
    current += c;
  }
  if (current) words.push(current);
  return words;
}

function unquoteWord(w: string): string {
  return w.replace(/^'(.*)'$/, '$1').replace(/^"(.*)"$/, '$1');
}

/** Tracks brace depth per line: menuentry/submenu/if blocks. */
function scan(text: string): Line[] {
  let depth = 0;
  return text.split(/\r?\n/).map((raw) => {
    const t = raw.trim();
    if (t.startsWith('}')) depth = Math.max(0, depth - 1);
    const line = { text: raw, depth };
    if (/\{\s*$/.test(t) && !t.startsWith('#')) depth++;
    return line;
  });
}

/** The menu entries of a grub.cfg with their linux/initrd lines (submenu entries get depth > 0). */
export function readGrubEntries(text: string): BootEntry[] {
  const entries: BootEntry[] = [];
  let current: BootEntry | undefined;
  let currentDepth = -1;
  let submenuDepth = 0;
  const submenuStack: number[] = [];
  for (const line of scan(text)) {
    const t = line.text.trim();
    if (current && t.startsWith('}') && line.depth === currentDepth) {
      current = undefined;
      continue;
    }
    if (!current && t.startsWith('}') && submenuStack.length && line.depth === submenuStack[submenuStack.length - 1]) {
      submenuStack.pop();
      submenuDepth--;
      continue;
    }
    const words = grubWords(t);
    if (words[0] === 'submenu') {
      submenuStack.push(line.depth);
      submenuDepth++;
      continue;
    }
    if (words[0] === 'menuentry') {
      const title = words.slice(1).find((w) => !w.startsWith('-') && w !== '{') ?? '';
      current = { label: unquoteWord(title), kernel: '', initrds: [], args: [], depth: submenuDepth };
      currentDepth = line.depth;
      entries.push(current);
      continue;
    }
    if (!current) continue;
    if (/^linux(efi|16)?$/.test(words[0] ?? '')) {
      current.kernel = unquoteWord(words[1] ?? '');
      current.kernelCommand = words[0];
      current.args = words.slice(2);
    } else if (/^initrd(efi|16)?$/.test(words[0] ?? '')) {
      current.initrds = words.slice(1).map(unquoteWord);
      current.initrdCommand = words[0];
    }
  }
  return entries.filter((e) => e.kernel !== '');
}

/** Quotes a word for grub when it holds characters grub would interpret (`;` in ds=nocloud;s=…). */
export function grubQuote(word: string): string {
  if (/^[A-Za-z0-9_.,:/=+@%^\\-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export const GRUB_ENTRY_ID = 'ozkit-install';

/**
 * grub.cfg edited to start the install unattended: a new first entry with our kernel
 * arguments, made the default by id, and every timeout set to 1 s. Everything else stays
 * (fonts, `search --set=root` for the CD, theme), so the entry runs where the original ran.
 */
export function unattendedGrubConfig(text: string, entry: BootEntry, args: string[]): string {
  const lines = text.split(/\r?\n/);
  const out: string[] = [];
  let inserted = false;
  let sawDefault = false;
  let sawTimeout = false;
  const linuxCmd = entry.kernelCommand ?? 'linux';
  const initrdCmd = entry.initrdCommand ?? (linuxCmd === 'linuxefi' ? 'initrdefi' : linuxCmd === 'linux16' ? 'initrd16' : 'initrd');
  const ours = [
    `menuentry 'ozkit: unattended install' --id ${GRUB_ENTRY_ID} {`,
    '\tset gfxpayload=keep',
    `\t${linuxCmd} ${entry.kernel} ${args.join(' ')}`.trimEnd(),
    ...(entry.initrds.length ? [`\t${initrdCmd} ${entry.initrds.join(' ')}`] : []),
    '}',
  ];
  const scanned = scan(text);
  lines.forEach((raw, i) => {
    const t = raw.trim();
    const indent = raw.slice(0, raw.length - raw.trimStart().length);
    if (/^set\s+default=/.test(t)) {
      out.push(`${indent}set default="${GRUB_ENTRY_ID}"`);
      sawDefault = true;
      return;
    }
    if (/^set\s+timeout=/.test(t)) {
      out.push(`${indent}set timeout=1`);
      sawTimeout = true;
      return;
    }
    if (/^set\s+timeout_style=/.test(t)) {
      out.push(`${indent}set timeout_style=menu`);
      return;
    }
    if (!inserted && scanned[i].depth === 0 && /^(menuentry|submenu)\b/.test(t)) {
      if (!sawDefault) out.push(`set default="${GRUB_ENTRY_ID}"`);
      if (!sawTimeout) out.push('set timeout=1');
      out.push(...ours, '');
      inserted = true;
    }
    out.push(raw);
  });
  if (!inserted) out.push(`set default="${GRUB_ENTRY_ID}"`, 'set timeout=1', ...ours);
  return out.join('\n');
}
