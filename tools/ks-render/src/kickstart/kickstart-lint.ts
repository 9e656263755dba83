import type { AnswerProblem } from '../answer-context.js';
import { commands, parseKickstart, rebootsInScript, sections, type KsDocument } from './kickstart-syntax.js';
import { checkKickstartGrammar, type GrammarProblem } from './kickstart-grammar-check.js';
import type { KickstartRelease } from './kickstart-grammar.js';

/** `--lint`: grammar errors refuse the file (error), are only reported (warn), or the grammar is not checked (off). */
export type LintLevel = 'error' | 'warn' | 'off';

export interface KickstartLint {
  doc: KsDocument;
  errors: AnswerProblem[];
  warnings: AnswerProblem[];
  /** sshd will be installed and not disabled. */
  sshd: boolean;
  /** The power command the file ends the install with, if any. */
  power?: { line: number; name: string };
  rootpwLines: number[];
  /** Problems of the release grammar (already merged into errors/warnings per the lint level). */
  grammar: { errors: GrammarProblem[]; warnings: GrammarProblem[] };
}

export interface KickstartLintOptions {
  customizationFollows: boolean;
  /** A final file must power off; a user's file is checked before ks-render adds `poweroff`. */
  requirePoweroff: boolean;
  /** The release whose grammar the file must follow; undefined: structure only. */
  release?: KickstartRelease;
  lint?: LintLevel;
}

const POWER_COMMANDS = ['poweroff', 'reboot', 'halt', 'shutdown'];

/** Checks a kickstart for what would stop an unattended build long before a VM could tell. */
export function lintKickstart(text: string, options: KickstartLintOptions): KickstartLint {
  const doc = parseKickstart(text);
  const errors: AnswerProblem[] = doc.errors.map((e) => ({ ...e, hint: 'fix the kickstart syntax' }));
  const warnings: AnswerProblem[] = [...doc.warnings];
  const cmds = commands(doc);
  const lower = (name: string) => name.toLowerCase();
  const checked = options.release && options.lint !== 'off' ? checkKickstartGrammar(doc, options.release) : { errors: [], warnings: [] };
  // Syntax errors are the parser's, already above.
  const grammar = { errors: checked.errors.filter((e) => e.rule !== 'syntax'), warnings: checked.warnings };
  if (options.lint === 'warn') warnings.push(...grammar.errors.map(withoutFix));
  else errors.push(...grammar.errors.map(withoutFix));
  warnings.push(...grammar.warnings.map(withoutFix));

  const powers = cmds.filter((c) => POWER_COMMANDS.includes(lower(c.name)));
  const power = powers.length > 0 ? { line: powers[powers.length - 1].line, name: lower(powers[powers.length - 1].name) } : undefined;
  if (options.requirePoweroff && power?.name !== 'poweroff')
    errors.push({
      line: power?.line,
      message: power
        ? `ends with "${power.name}", not "poweroff": the build would wait for a power-off that never comes`
        : 'no "poweroff" command: anaconda would wait at the end instead of powering off',
      hint: 'end the install with poweroff',
    });

  for (const c of cmds) {
    if (lower(c.name) === 'interactive')
      errors.push({
        line: c.line,
        message: '"interactive" makes anaconda wait for a person; an unattended build cannot answer it',
        hint: 'remove the interactive command',
      });
  }

  for (const s of sections(doc)) {
    if (s.name !== '%post' && s.name !== '%pre' && s.name !== '%pre-install') continue;
    const interpreter = s.args.find((a) => a.startsWith('--interpreter'));
    if (interpreter && !/(ba|da)?sh\b/.test(interpreter)) continue;
    for (const l of s.body)
      if (rebootsInScript(l.text))
        errors.push({
          line: l.line,
          message: `${s.name} script restarts or halts the machine ("${l.text.trim()}"): the install would never reach its power-off`,
          hint: 'let the kickstart end with poweroff instead',
        });
  }

  // Storage and the basics: without them anaconda stops at a spoke and waits for a person.
  const names = new Set(cmds.map((c) => lower(c.name)));
  const includes = doc.items.some((i) => i.kind === 'include');
  const partitioning = [
    'autopart',
    'part',
    'partition',
    'logvol',
    'raid',
    'volgroup',
    'btrfs',
    'reqpart',
    'mount',
    'liveimg',
    'ostreesetup',
    'ostreecontainer',
    'bootc',
  ];
  if (!partitioning.some((n) => names.has(n))) {
    const problem = {
      message: 'no partitioning (autopart, part, logvol, …): anaconda would stop at the storage spoke and wait',
      hint: 'add "autopart" (with "zerombr" and "clearpart --all --initlabel")',
    };
    if (includes) warnings.push({ ...problem, message: `${problem.message}, unless an %include provides it` });
    else errors.push(problem);
  }
  for (const [name, why] of [
    ['lang', 'the language'],
    ['keyboard', 'the keyboard'],
    ['timezone', 'the time zone'],
  ] as const)
    if (!names.has(name) && !includes) warnings.push({ message: `no "${name}": RHEL/CentOS 7 require ${why} and stop to ask without it` });
  if (!names.has('zerombr') && !includes && !cmds.some((c) => lower(c.name) === 'clearpart' && c.args.includes('--initlabel')))
    warnings.push({ message: 'neither "zerombr" nor "clearpart --initlabel": anaconda may ask before initializing a blank disk' });

  // sshd: in @core unless removed; disabled by `services --disabled=sshd` or `-openssh-server`.
  let sshd = true;
  const why: AnswerProblem[] = [];
  for (const p of sections(doc, '%packages'))
    for (const l of p.body) {
      const item = l.text.trim();
      if (/^-\s*openssh-server(\s|$)/.test(item)) {
        sshd = false;
        why.push({ line: l.line, message: '%packages removes openssh-server, so guest-customize could not log in' });
      }
    }
  for (const c of cmds) {
    if (lower(c.name) !== 'services') continue;
    const disabled = c.args.flatMap((a) => (a.startsWith('--disabled=') ? a.slice(11).split(',') : []));
    if (disabled.map((s) => s.trim()).some((s) => s === 'sshd' || s === 'sshd.service')) {
      sshd = false;
      why.push({ line: c.line, message: 'services --disabled turns sshd off, so guest-customize could not log in' });
    }
  }
  if (!sshd) {
    const hint = 'keep openssh-server installed and sshd enabled (the TDL asks for customization over SSH)';
    if (options.customizationFollows) errors.push(...why.map((w) => ({ ...w, hint })));
    else warnings.push(...why.map((w) => ({ ...w, message: `${w.message} (no customization in the TDL, so the build goes on)` })));
  }

  const rootpwLines = cmds.filter((c) => lower(c.name) === 'rootpw').map((c) => c.line);
  return { doc, errors, warnings, sshd, power, rootpwLines, grammar };
}

function withoutFix(p: GrammarProblem): AnswerProblem {
  return { line: p.line, column: p.column, message: p.message, ...(p.hint ? { hint: p.fix ? `${p.hint} (or run with --fix)` : p.hint } : {}) };
}
