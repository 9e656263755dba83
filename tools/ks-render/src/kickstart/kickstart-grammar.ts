import { readFileSync } from 'node:fs';
import type { OsRelease } from '../os-catalog.js';

/**
 * The per-release kickstart grammar, as data: `data/kickstart-grammar.json` is written by
 * `scripts/regenerate-kickstart-grammar.sh` from a pykickstart source tree (its `source` field
 * names the pykickstart version and commit). Loaded on first use only.
 */

/** How pykickstart's parser answered a probe line: accepted, refused, or accepted with a deprecation warning. */
export type ProbeVerdict = 'ok' | 'error' | 'deprecated';

export interface OptionGrammar {
  /** Every spelling, e.g. `--fstype`, `--type`. */
  names: string[];
  /** flag: no value; value: exactly one; optional-value: zero or one. */
  kind: 'flag' | 'value' | 'optional-value';
  /** Values beyond one (argparse's nargs: a number, `+` or `*`). */
  nargs?: number | '+' | '*';
  repeatable?: boolean;
  choices?: string[];
  type?: 'int';
  required?: boolean;
  /** The release that deprecated it: accepted, but it has no effect. */
  deprecated?: string;
}

export interface PositionalGrammar {
  name: string;
  min: number;
  /** null: any number. */
  max: number | null;
}

export interface CommandGrammar {
  status: 'current' | 'deprecated' | 'removed';
  options?: OptionGrammar[];
  positionals?: PositionalGrammar[];
  /** Commands that may not appear together with this one. */
  conflicts?: string[];
  /** Repeatable: every use adds an entry (network, part, user, …). */
  data?: boolean;
  /** The command followed by 0, 1, 2 and 3 plain words (3: and more). */
  words: [ProbeVerdict, ProbeVerdict, ProbeVerdict, ProbeVerdict];
  /** The command followed by an option nobody defines: `ok` means it takes free-form arguments (RHEL 7 authconfig). */
  unknownOption: ProbeVerdict;
}

export interface SectionGrammar {
  options: OptionGrammar[];
  /** The header's words go to an add-on unparsed (%addon, %anaconda). */
  freeForm?: boolean;
}

export interface ReleaseGrammar {
  /** Command name → key into `grammars` (aliases share a key: text/graphical/cmdline). */
  commands: Record<string, string>;
  sections: Record<string, SectionGrammar>;
}

export interface KickstartGrammarTable {
  source: { pykickstart: string; commit: string | null };
  releases: Record<string, ReleaseGrammar>;
  grammars: Record<string, CommandGrammar>;
}

let table: KickstartGrammarTable | undefined;

export function kickstartGrammarTable(): KickstartGrammarTable {
  table ??= JSON.parse(readFileSync(new URL('../../data/kickstart-grammar.json', import.meta.url), 'utf8')) as KickstartGrammarTable;
  return table;
}

/** A release's grammar ready to use: its name in the table and the lookups the checks need. */
export interface KickstartRelease {
  /** The table's name for it: RHEL9, F43, … */
  name: string;
  grammar: ReleaseGrammar;
  command(name: string): CommandGrammar | undefined;
  /** Set when the requested release is newer than the table: the newest is used. */
  fallbackFrom?: string;
}

export function kickstartRelease(name: string, fallbackFrom?: string): KickstartRelease {
  const t = kickstartGrammarTable();
  const grammar = t.releases[name];
  if (!grammar) throw new Error(`kickstart grammar table has no release ${name}`);
  return {
    name,
    grammar,
    command: (cmd) => (Object.hasOwn(grammar.commands, cmd) ? t.grammars[grammar.commands[cmd]] : undefined),
    ...(fallbackFrom ? { fallbackFrom } : {}),
  };
}

export function newestFedoraInTable(): number {
  return Math.max(
    ...Object.keys(kickstartGrammarTable().releases)
      .filter((r) => /^F\d+$/.test(r))
      .map((r) => Number(r.slice(1))),
  );
}

/** RHEL and its rebuilds map onto RHEL<major>; Fedora onto F<major>, newer ones onto the newest table. */
export function kickstartReleaseFor(os: Pick<OsRelease, 'distro' | 'major' | 'fallbackFrom'>): KickstartRelease | undefined {
  if (os.distro === 'fedora') {
    const newest = newestFedoraInTable();
    const wanted = os.fallbackFrom !== undefined ? (/^\d+$/.test(os.fallbackFrom) ? Number(os.fallbackFrom) : Infinity) : os.major;
    if (wanted > newest) return kickstartRelease(`F${newest}`, os.fallbackFrom ?? String(os.major));
    return kickstartRelease(`F${wanted}`);
  }
  if (['rhel', 'centos', 'centos-stream', 'rocky', 'almalinux'].includes(os.distro)) {
    const name = `RHEL${os.major}`;
    return Object.hasOwn(kickstartGrammarTable().releases, name) ? kickstartRelease(name) : undefined;
  }
  return undefined;
}
