import type { AnswerProblem } from '../answer-context.js';
import type { CommandGrammar, KickstartRelease, OptionGrammar } from './kickstart-grammar.js';
import { commands, sections, type KsCommand, type KsDocument, type KsSection } from './kickstart-syntax.js';

/**
 * Checks a kickstart against one release's grammar the way pykickstart's parser does (argparse
 * rules: `--opt=value` or `--opt value`, unambiguous prefixes, positionals), plus a few rules
 * ozkit adds because anaconda would misbehave although pykickstart lets them through
 * (`stricter`: a second `timezone`, `text` with `graphical`, a relative `%include`).
 */

/** A mechanical repair: the line's new text (null: drop the line), and what it did. */
export interface KickstartFix {
  line: number;
  text: string | null;
  /** Joins this line onto another one (a stray option line). */
  appendTo?: { line: number; text: string };
  description: string;
}

export interface GrammarProblem extends AnswerProblem {
  line: number;
  rule: GrammarRule;
  /** An ozkit rule beyond pykickstart's: pykickstart accepts the file. */
  stricter?: boolean;
  fix?: KickstartFix;
}

export type GrammarRule =
  | 'unknown-command'
  | 'wrong-case'
  | 'removed-command'
  | 'deprecated-command'
  | 'deprecated-option'
  | 'unknown-option'
  | 'ambiguous-option'
  | 'option-value'
  | 'bad-value'
  | 'missing-argument'
  | 'superfluous-argument'
  | 'required-option'
  | 'conflict'
  | 'duplicate'
  | 'duplicate-entry'
  | 'stray-option'
  | 'unknown-section'
  | 'section-option'
  | 'interpreter'
  | 'include'
  | 'syntax';

export interface GrammarCheck {
  errors: GrammarProblem[];
  warnings: GrammarProblem[];
}

/**
 * What makes two entries of a repeatable command the same one (pykickstart refuses the second):
 * the values of these options together, or a positional (partitions: any mount point but swap).
 */
const ENTRY_KEYS: Record<string, { options?: string[]; positional?: number; except?: string[] }> = {
  network: { options: ['--device'] },
  user: { options: ['--name'] },
  group: { options: ['--name'] },
  repo: { options: ['--name'] },
  sshpw: { options: ['--username'] },
  raid: { options: ['--device'] },
  logvol: { options: ['--vgname', '--name'] },
  part: { positional: 0, except: ['swap'] },
  partition: { positional: 0, except: ['swap'] },
  volgroup: { positional: 0 },
};

/** Commands whose parse succeeds but whose effect is gone on releases where pykickstart warns: refused there. */
const REFUSED_WHEN_DEPRECATED: Record<string, string> = {
  auth: 'authselect',
  authconfig: 'authselect',
};

/** The replacement to name in a hint when a command is deprecated or removed. */
const REPLACEMENTS: Record<string, string> = {
  install: 'drop it: installing is the default; keep the source command (url, cdrom, nfs, harddrive)',
  upgrade: 'drop it: upgrades are done with the distribution upgrade tool',
  auth: 'use authselect (e.g. "authselect select sssd") or drop it',
  authconfig: 'use authselect (e.g. "authselect select sssd") or drop it',
  method: 'use url, cdrom, nfs or harddrive directly',
  device: 'drop it: drivers load automatically',
  deviceprobe: 'drop it',
  dmraid: 'drop it',
  multipath: 'drop it',
  interactive: 'drop it',
  autostep: 'drop it',
  lilo: 'use bootloader',
  mouse: 'drop it',
  langsupport: 'use lang',
  monitor: 'drop it',
  key: 'drop it',
  btrfs: 'use part/logvol with --fstype=xfs or ext4',
  logging: 'drop it',
};

interface Parsed {
  options: Map<OptionGrammar, string[]>;
  positionals: string[];
}

export function checkKickstartGrammar(doc: KsDocument, release: KickstartRelease): GrammarCheck {
  const errors: GrammarProblem[] = doc.errors.map((e) => ({ ...e, rule: 'syntax' as const, hint: 'fix the kickstart syntax' }));
  const warnings: GrammarProblem[] = [];
  const cmds = commands(doc);
  const seenKeys = new Map<string, KsCommand>();
  const seenEntries = new Map<string, KsCommand>();
  const usedNames = new Set<string>();

  for (const c of cmds) {
    const at = { line: c.line, column: columnOf(doc, c.line, c.name) };
    if (c.name.startsWith('-')) {
      errors.push({
        ...at,
        rule: 'stray-option',
        message: `"${c.name}" is an option on a line of its own: anaconda reads it as an unknown command`,
        hint: 'put it on the line of the command or %section it belongs to',
        ...strayFix(doc, c, release),
      });
      continue;
    }
    const grammar = release.command(c.name);
    if (!grammar) {
      const lower = c.name.toLowerCase();
      if (release.command(lower))
        errors.push({
          ...at,
          rule: 'wrong-case',
          message: `unknown command "${c.name}" for ${release.name}: kickstart commands are lower case`,
          hint: `write "${lower}"`,
          fix: { line: c.line, text: doc.lines[c.line - 1].replace(c.name, lower), description: `"${c.name}" → "${lower}"` },
        });
      else
        errors.push({
          ...at,
          rule: 'unknown-command',
          message: `unknown command "${c.name}" for ${release.name}`,
          hint: suggestion(c.name, Object.keys(release.grammar.commands)),
        });
      continue;
    }
    if (grammar.status === 'removed') {
      errors.push({
        ...at,
        rule: 'removed-command',
        message: `"${c.name}" was removed from kickstart before ${release.name}`,
        hint: REPLACEMENTS[c.name] ?? 'remove it',
      });
      continue;
    }
    if (grammar.status === 'deprecated') {
      warnings.push({
        ...at,
        rule: 'deprecated-command',
        message: `"${c.name}" is deprecated in ${release.name} and has no effect`,
        hint: REPLACEMENTS[c.name] ?? 'remove it',
      });
      continue;
    }
    if (grammar.words[0] === 'deprecated' || grammar.words[1] === 'deprecated') {
      const replacement = REFUSED_WHEN_DEPRECATED[c.name];
      const problem = {
        ...at,
        rule: 'deprecated-command' as const,
        message: `"${c.name}" is deprecated in ${release.name}${replacement ? ` and no longer configures anything there (${replacement} replaced it)` : ''}`,
        hint: REPLACEMENTS[c.name] ?? 'remove it',
      };
      if (replacement && isRefusedRelease(release.name)) errors.push(problem);
      else warnings.push(problem);
    }
    usedNames.add(c.name);
    const parsed = parseArguments(doc, c, grammar, release.name, errors, warnings);
    if (!parsed) continue;

    const key = release.grammar.commands[c.name];
    if (!grammar.data) {
      const earlier = seenKeys.get(key);
      if (earlier && !sameCommand(earlier, c))
        errors.push({
          ...at,
          rule: 'duplicate',
          stricter: true,
          message:
            earlier.name === c.name
              ? `"${c.name}" given again (first on line ${earlier.line}): anaconda would silently use only this one`
              : `"${c.name}" contradicts "${earlier.name}" on line ${earlier.line}: only one of them can apply`,
          hint: 'keep one',
        });
      else if (earlier)
        warnings.push({
          ...at,
          rule: 'duplicate',
          message: `"${c.name}" repeats line ${earlier.line}`,
          hint: 'drop the repetition',
          fix: { line: c.line, text: null, description: `dropped the repetition of line ${earlier.line}` },
        });
      else seenKeys.set(key, c);
    } else {
      const entryKey = entryKeyOf(c.name, parsed);
      if (entryKey !== undefined) {
        const id = `${key}\u0000${entryKey}`;
        const earlier = seenEntries.get(id);
        if (earlier)
          errors.push({
            ...at,
            rule: 'duplicate-entry',
            message: `${c.name} "${entryKey}" is already defined on line ${earlier.line}`,
            hint: 'give each one its own name, or merge the lines',
          });
        else seenEntries.set(id, c);
      }
    }
  }

  // Conflicts: pykickstart refuses the later of two conflicting commands.
  // Keyed by grammar, so an alias (part = partition) conflicts like its command.
  const firstUse = new Map<string, KsCommand>();
  for (const c of cmds) {
    const grammar = release.command(c.name);
    if (!grammar || grammar.status !== 'current') continue;
    for (const other of grammar.conflicts ?? []) {
      const o = firstUse.get(release.grammar.commands[other] ?? other);
      if (o)
        errors.push({
          line: c.line,
          column: columnOf(doc, c.line, c.name),
          rule: 'conflict',
          message: `"${c.name}" cannot be used together with "${o.name}" (line ${o.line})`,
          hint: `keep ${c.name} or ${o.name}`,
        });
    }
    const key = release.grammar.commands[c.name];
    if (!firstUse.has(key)) firstUse.set(key, c);
  }

  checkSections(doc, release, errors, warnings);
  checkIncludes(doc, errors, warnings);
  return { errors: errors.sort(byLine), warnings: warnings.sort(byLine) };
}

function isRefusedRelease(name: string): boolean {
  const m = /^(RHEL|F)(\d+)$/.exec(name);
  if (!m) return false;
  return m[1] === 'RHEL' ? Number(m[2]) >= 9 : Number(m[2]) >= 35;
}

const byLine = (a: GrammarProblem, b: GrammarProblem) => a.line - b.line || (a.column ?? 0) - (b.column ?? 0);

function sameCommand(a: KsCommand, b: KsCommand): boolean {
  return a.name === b.name && a.args.join('\u0000') === b.args.join('\u0000');
}

function entryKeyOf(name: string, parsed: Parsed): string | undefined {
  const rule = ENTRY_KEYS[name];
  if (!rule) return undefined;
  if (rule.positional !== undefined) {
    const value = parsed.positionals[rule.positional];
    return value !== undefined && !(rule.except ?? []).includes(value) ? value : undefined;
  }
  const values: string[] = [];
  for (const wanted of rule.options ?? []) {
    const found = [...parsed.options].find(([option]) => option.names.includes(wanted));
    if (!found) return undefined;
    values.push(found[1][found[1].length - 1]);
  }
  return values.join(' in ');
}

export function columnOf(doc: KsDocument, line: number, word: string): number {
  const raw = doc.lines[line - 1] ?? '';
  const i = raw.indexOf(word);
  return i >= 0 ? i + 1 : raw.length - raw.trimStart().length + 1;
}

/** argparse treats a word as an option when it starts with "-" and is not a negative number. */
function looksLikeOption(word: string): boolean {
  return word.startsWith('-') && word !== '-' && !/^-\d+(\.\d+)?$/.test(word);
}

function findOption(options: OptionGrammar[], name: string): { option?: OptionGrammar; ambiguous?: string[] } {
  const exact = options.find((o) => o.names.includes(name));
  if (exact) return { option: exact };
  if (!name.startsWith('--')) return {};
  const prefixed = options.filter((o) => o.names.some((n) => n.startsWith(name)));
  if (prefixed.length === 1) return { option: prefixed[0] };
  if (prefixed.length > 1) return { ambiguous: prefixed.flatMap((o) => o.names.filter((n) => n.startsWith(name))) };
  return {};
}

/** Reads a command's (or section header's) words like argparse; reports what it refuses. */
function parseWords(
  words: string[],
  options: OptionGrammar[],
  where: { doc: KsDocument; line: number; what: string; release: string },
  errors: GrammarProblem[],
  warnings: GrammarProblem[],
  unknownRule: GrammarRule = 'unknown-option',
): Parsed | undefined {
  const parsed: Parsed = { options: new Map(), positionals: [] };
  let ok = true;
  const at = (word: string) => ({ line: where.line, column: columnOf(where.doc, where.line, word) });
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    if (!looksLikeOption(word) || word === '--') {
      parsed.positionals.push(word);
      continue;
    }
    const eq = word.indexOf('=');
    const name = eq >= 0 ? word.slice(0, eq) : word;
    const found = findOption(options, name);
    if (found.ambiguous) {
      errors.push({
        ...at(word),
        rule: 'ambiguous-option',
        message: `${where.what}: "${name}" is ambiguous (${found.ambiguous.join(', ')})`,
        hint: 'write the option in full',
      });
      ok = false;
      continue;
    }
    const option = found.option;
    if (!option) {
      const all = options.flatMap((o) => o.names);
      errors.push({
        ...at(word),
        rule: unknownRule,
        message: `${where.what}: unknown option "${name}" for ${where.release}`,
        hint: suggestion(name, all, 'known options: ' + (all.join(' ') || 'none')),
      });
      ok = false;
      continue;
    }
    const values: string[] = [];
    if (option.kind === 'flag') {
      if (eq >= 0) {
        errors.push({ ...at(word), rule: 'option-value', message: `${where.what}: ${name} takes no value ("${word}")`, hint: `write just ${name}` });
        ok = false;
        continue;
      }
    } else if (eq >= 0) values.push(word.slice(eq + 1));
    else if (option.kind === 'value' || option.nargs === '+' || typeof option.nargs === 'number') {
      const want = typeof option.nargs === 'number' ? option.nargs : 1;
      for (let n = 0; n < want && i + 1 < words.length && !looksLikeOption(words[i + 1]); n++) values.push(words[++i]);
      if (option.nargs === '+') while (i + 1 < words.length && !looksLikeOption(words[i + 1])) values.push(words[++i]);
      if (values.length < want) {
        errors.push({ ...at(word), rule: 'option-value', message: `${where.what}: ${name} needs a value`, hint: `write ${name}=VALUE` });
        ok = false;
        continue;
      }
    } else if (i + 1 < words.length && !looksLikeOption(words[i + 1])) values.push(words[++i]);
    for (const v of values) {
      if (option.choices && !option.choices.includes(v)) {
        errors.push({
          ...at(word),
          rule: 'bad-value',
          message: `${where.what}: ${name} "${v}" is not one of ${option.choices.join(', ')}`,
          hint: `use one of ${option.choices.join(', ')}`,
        });
        ok = false;
      } else if (option.type === 'int' && !/^[-+]?\d+$/.test(v.trim())) {
        errors.push({ ...at(word), rule: 'bad-value', message: `${where.what}: ${name} needs a whole number, not "${v}"`, hint: `e.g. ${name}=1024` });
        ok = false;
      }
    }
    if (option.deprecated)
      warnings.push({
        ...at(word),
        rule: 'deprecated-option',
        message: `${where.what}: ${name} is deprecated (${option.deprecated})`,
        hint: deprecatedOptionHint(option, name, options),
      });
    parsed.options.set(option, [...(parsed.options.get(option) ?? []), ...(values.length ? values : [''])]);
  }
  return ok ? parsed : undefined;
}

function deprecatedOptionHint(option: OptionGrammar, name: string, options: OptionGrammar[]): string {
  // The preferred spelling: another name of the same option, or its kebab-case twin (--instLangs → --inst-langs).
  const kebab = name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  const alias = option.names.find((n) => n !== name) ?? (kebab !== name && options.some((o) => o.names.includes(kebab) && !o.deprecated) ? kebab : undefined);
  return alias ? `write ${alias} instead` : `remove ${name}: it has no effect`;
}

function parseArguments(
  doc: KsDocument,
  c: KsCommand,
  grammar: CommandGrammar,
  release: string,
  errors: GrammarProblem[],
  warnings: GrammarProblem[],
): Parsed | undefined {
  const at = { line: c.line, column: columnOf(doc, c.line, c.name) };
  if (c.args.length === 0 && grammar.words[0] === 'error') {
    errors.push({
      ...at,
      rule: 'missing-argument',
      message: `"${c.name}" needs ${describeNeeds(grammar)}`,
      hint: `see the ${c.name} command in the kickstart documentation for ${release}`,
    });
    return undefined;
  }
  // Free-form commands (pykickstart passes their words on unparsed) accept anything after a first word.
  if (grammar.unknownOption !== 'error' && (grammar.options ?? []).length === 0) return { options: new Map(), positionals: c.args };
  const parsed = parseWords(c.args, grammar.options ?? [], { doc, line: c.line, what: c.name, release }, errors, warnings);
  if (!parsed) return undefined;
  const positionals = grammar.positionals ?? [];
  const max = positionals.some((p) => p.max === null) ? Infinity : positionals.reduce((s, p) => s + (p.max ?? 0), 0);
  const min = positionals.reduce((s, p) => s + p.min, 0);
  const words = parsed.positionals;
  const refusal = refusedWordCount(grammar, words.length, max);
  if (refusal) {
    const extra = words.slice(refusal.keep);
    errors.push({
      line: c.line,
      column: columnOf(doc, c.line, extra[0] ?? c.name),
      rule: 'superfluous-argument',
      message: refusal.takesNone
        ? `"${c.name}" takes no arguments ("${extra.join(' ')}")`
        : `"${c.name}" does not take ${words.length} argument(s) ("${words.join(' ')}")`,
      hint: refusal.takesNone ? `write just "${c.name}"${(grammar.options ?? []).length > 0 ? ' and its options' : ''}` : `${c.name} takes ${refusal.fits}`,
      ...(refusal.takesNone
        ? { fix: { line: c.line, text: withoutWords(doc.lines[c.line - 1], c, extra), description: `removed "${extra.join(' ')}" from ${c.name}` } }
        : {}),
    });
    return undefined;
  }
  if (parsed.positionals.length < min) {
    errors.push({
      ...at,
      rule: 'missing-argument',
      message: `"${c.name}" needs ${positionals
        .filter((p) => p.min > 0)
        .map((p) => p.name)
        .join(' ')}`,
      hint: `give ${c.name} its ${positionals.map((p) => p.name).join(' ')}`,
    });
    return undefined;
  }
  const missing = (grammar.options ?? []).filter((o) => o.required && !parsed.options.has(o));
  if (missing.length > 0) {
    errors.push({
      ...at,
      rule: 'required-option',
      message: `"${c.name}" needs ${missing.map((o) => o.names[0]).join(', ')}`,
      hint: `add ${missing.map((o) => `${o.names[0]}=VALUE`).join(' ')}`,
    });
    return undefined;
  }
  return parsed;
}

/**
 * Whether pykickstart refuses this many plain words: by the positionals it declares to argparse,
 * else (commands that read their words themselves) by its answers to 1, 2 and 3 probe words.
 */
function refusedWordCount(grammar: CommandGrammar, n: number, max: number): { keep: number; takesNone: boolean; fits: string } | undefined {
  if (n === 0) return undefined;
  const declared = (grammar.positionals ?? []).length > 0;
  if (declared)
    return n > max ? { keep: max, takesNone: false, fits: `at most ${max} argument(s): ${(grammar.positionals ?? []).map((p) => p.name).join(' ')}` } : undefined;
  const fits = [1, 2, 3].filter((k) => grammar.words[k] !== 'error');
  if (fits.length === 0) return grammar.words[0] !== 'error' ? { keep: 0, takesNone: true, fits: 'no arguments' } : undefined;
  if (grammar.words[Math.min(n, 3)] !== 'error') return undefined;
  return {
    keep: Math.min(n, Math.max(0, ...fits.filter((k) => k < n))),
    takesNone: false,
    fits: `${fits.map((k) => (k === 3 ? '3 or more' : String(k))).join(' or ')} argument(s)`,
  };
}

function describeNeeds(grammar: CommandGrammar): string {
  const positionals = (grammar.positionals ?? []).filter((p) => p.min > 0).map((p) => p.name);
  const required = (grammar.options ?? []).filter((o) => o.required).map((o) => o.names[0]);
  const parts = [...positionals, ...required];
  return parts.length > 0 ? parts.join(' ') : 'at least one option or argument';
}

/** The command's line without the superfluous words, comments kept. */
function withoutWords(raw: string, c: KsCommand, extra: string[]): string {
  const indent = raw.slice(0, raw.length - raw.trimStart().length);
  const comment = /\s(#.*)$/.exec(raw)?.[1];
  const kept = [c.name, ...c.args.slice(0, c.args.length - extra.length)].map(quoteWord).join(' ');
  return indent + kept + (comment ? `  ${comment}` : '');
}

function quoteWord(word: string): string {
  return /^[A-Za-z0-9_\-./:=,@%+]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A stray `--option` line: joined to the one command or section header in the file that knows the option. */
function strayFix(doc: KsDocument, c: KsCommand, release: KickstartRelease): { fix?: KickstartFix } {
  const name = c.name.split('=')[0];
  const candidates: { line: number; words: string[] }[] = [];
  for (const item of doc.items) {
    if (item.kind === 'command' && item !== c && !item.name.startsWith('-')) {
      const g = release.command(item.name);
      if (g?.options?.some((o) => o.names.includes(name))) candidates.push({ line: item.line, words: item.args });
    } else if (item.kind === 'section') {
      const g = release.grammar.sections[item.name];
      if (g?.options.some((o) => o.names.includes(name))) candidates.push({ line: item.line, words: item.args });
    }
  }
  if (candidates.length !== 1 || c.args.length > 0) return {};
  const target = candidates[0];
  const stray = [c.name, ...c.args].join(' ');
  if (target.words.some((w) => w === c.name || w.split('=')[0] === name)) {
    if (!target.words.includes(c.name)) return {};
    return { fix: { line: c.line, text: null, description: `dropped "${stray}": line ${target.line} already has it` } };
  }
  const raw = doc.lines[target.line - 1];
  const comment = /\s(#.*)$/.exec(raw);
  const joined = comment ? `${raw.slice(0, comment.index)} ${stray}  ${comment[1]}` : `${raw.trimEnd()} ${stray}`;
  return { fix: { line: c.line, text: null, appendTo: { line: target.line, text: joined }, description: `joined "${stray}" to line ${target.line}` } };
}

function checkSections(doc: KsDocument, release: KickstartRelease, errors: GrammarProblem[], warnings: GrammarProblem[]): void {
  for (const s of sections(doc)) {
    const grammar = release.grammar.sections[s.name];
    if (!grammar) {
      errors.push({
        line: s.line,
        column: columnOf(doc, s.line, s.name),
        rule: 'unknown-section',
        message: `unknown section ${s.name} for ${release.name}`,
        hint: suggestion(s.name, Object.keys(release.grammar.sections)),
      });
      continue;
    }
    if (grammar.freeForm) continue;
    const parsed = parseWords(s.args, grammar.options, { doc, line: s.line, what: s.name, release: release.name }, errors, warnings, 'section-option');
    if (!parsed) continue;
    checkInterpreter(doc, s, parsed, errors);
  }
}

function checkInterpreter(doc: KsDocument, s: KsSection, parsed: Parsed, errors: GrammarProblem[]): void {
  for (const [option, values] of parsed.options) {
    if (!option.names.includes('--interpreter')) continue;
    const value = values[values.length - 1];
    if (!value.startsWith('/'))
      errors.push({
        line: s.line,
        column: columnOf(doc, s.line, '--interpreter'),
        rule: 'interpreter',
        stricter: true,
        message: `${s.name} --interpreter "${value}" is not an absolute path: anaconda runs it as given and the script fails`,
        hint: 'e.g. --interpreter=/usr/bin/python3 or /bin/bash',
      });
  }
}

/** `%include`: anaconda resolves it in the installer, so a relative path, or a /tmp file nothing writes, cannot work. */
function checkIncludes(doc: KsDocument, errors: GrammarProblem[], warnings: GrammarProblem[]): void {
  const preText = sections(doc)
    .filter((s) => s.name === '%pre')
    .flatMap((s) => s.body.map((l) => l.text))
    .join('\n');
  for (const item of doc.items) {
    if (item.kind !== 'include') continue;
    const at = { line: item.line, column: columnOf(doc, item.line, item.name) };
    if (item.path === '')
      errors.push({ ...at, rule: 'include', message: `${item.name} without a file`, hint: `${item.name} /tmp/FILE written by a %pre script, or a URL` });
    else if (/^(https?|ftp|nfs):/.test(item.path))
      warnings.push({ ...at, rule: 'include', message: `${item.name} ${item.path}: fetched by the installer, not checked here` });
    else if (!item.path.startsWith('/'))
      errors.push({
        ...at,
        rule: 'include',
        stricter: true,
        message: `${item.name} ${item.path}: a relative path, which the installer cannot resolve`,
        hint: 'use an absolute path the installer has (a %pre script can write /tmp/FILE)',
      });
    else if (item.path.startsWith('/tmp/') && !preText.includes(item.path))
      errors.push({
        ...at,
        rule: 'include',
        stricter: true,
        message: `${item.name} ${item.path}: no %pre script writes this file, so it is not there when anaconda reads it`,
        hint: `write ${item.path} in a %pre script, or drop the ${item.name}`,
      });
    else warnings.push({ ...at, rule: 'include', message: `${item.name} ${item.path}: read in the installer, not checked here` });
  }
}

/** "did you mean" for a misspelled name, from the names valid here. */
export function suggestion(name: string, known: string[], otherwise?: string): string | undefined {
  // A known name the misspelling starts with (%postinstall → %post) beats a closer edit.
  const prefix = known.filter((k) => k.length >= 4 && name.startsWith(k)).sort((a, b) => b.length - a.length)[0];
  if (prefix) return `did you mean "${prefix}"?`;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(name.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  if (best !== undefined && bestDistance <= Math.max(2, Math.floor(name.length / 4))) return `did you mean "${best}"?`;
  return otherwise;
}

export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length];
}
