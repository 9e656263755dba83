import { settingSources, vocabulary, type OptionDescriptor, type OptionSet } from '@ozkit/config';

/** A tool's command line, described once: --help, the README option table and the parser come from it. */
export interface CliSpec<O extends OptionSet = OptionSet> {
  tool: string;
  /** What follows "Usage: " (`$0` is the tool's name). */
  usage: string;
  /** Paragraphs after the usage line (separated by blank lines; wrapped at 100 columns). */
  description?: string;
  /** Text printed as it is after the description (lists, tables of seal operations). */
  preformatted?: string;
  positional?: { name: string; describe: string };
  options: O;
  examples?: readonly (readonly [string, string])[];
  epilogue?: string;
}

/** Declares a tool's command line (only for the types: the option names become the parsed arguments). */
export function defineCli<const O extends OptionSet>(spec: CliSpec<O>): CliSpec<O> {
  return spec;
}

const WIDTH = 100;

/**
 * Greedy word wrap after `head` (already padded), continuation lines indented by `indent`. The
 * text is plain prose, so a character count is width enough (no string-width, no cliui).
 */
function wrap(head: string, text: string, indent = ''): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = lines.length === 0 ? head : indent;
    let empty = true;
    for (const word of paragraph.split(' ')) {
      if (!empty && line.length + 1 + word.length > WIDTH) {
        lines.push(line);
        line = indent + word;
      } else line = empty ? line + word : `${line} ${word}`;
      empty = false;
    }
    lines.push(line);
  }
  return lines;
}

/** `-c, --config FILE` */
export function flagSynopsis(flag: string, option: OptionDescriptor): string {
  const value = option.choices && option.kind !== 'boolean' ? option.choices.join('|') : option.value;
  const names = option.short ? `-${option.short}, --${flag}` : `    --${flag}`;
  return value ? `${names} ${option.valueOptional ? `[${value}]` : value}` : names;
}

/** The default worth showing: a flag's own, else its setting's (a boolean flag's `false` goes without saying). */
function defaultOf(option: OptionDescriptor): string | number | boolean | undefined {
  const fallback = option.default ?? (option.setting ? settingSources(option.setting).default : undefined);
  return option.kind === 'count' || fallback === false ? undefined : fallback;
}

/** The parts of an option's description that come from the descriptor, not its prose. */
export function optionFacts(option: OptionDescriptor): string[] {
  const facts: string[] = [];
  if (option.repeatable) facts.push('repeatable');
  if (option.setting) {
    const sources = settingSources(option.setting);
    if (sources.config.length > 0) facts.push(`config ${sources.config.map(([section, key]) => `[${section}] ${key}`).join(' or ')}`);
    facts.push(`$${sources.env}`);
  }
  const fallback = defaultOf(option);
  if (fallback !== undefined) facts.push(`default ${typeof fallback === 'string' && !option.choices ? JSON.stringify(fallback) : String(fallback)}`);
  if (option.deprecated) facts.push(`old name ${option.deprecated.map((d) => `--${d}`).join(', ')} still accepted`);
  return facts;
}

/** The --help text, rendered without yargs (loading and wrapping with it took most of a --help run). */
export function renderHelp(spec: CliSpec, version?: string): string {
  const name = (text: string) => text.replaceAll('$0', spec.tool);
  const out: string[] = [`Usage: ${name(spec.usage)}`, ''];
  if (spec.description) for (const paragraph of spec.description.split('\n\n')) out.push(...wrap('', name(paragraph)), '');
  if (spec.preformatted) out.push(name(spec.preformatted), '');
  if (spec.positional) out.push('Arguments:', ...wrap(`  ${spec.positional.name.padEnd(28)} `, spec.positional.describe, ' '.repeat(31)), '');
  const rows: [string, string][] = Object.entries(spec.options).map(([flag, option]) => {
    const facts = optionFacts(option);
    return [flagSynopsis(flag, option), facts.length > 0 ? `${option.describe} [${facts.join('; ')}]` : option.describe];
  });
  rows.push(['    --help', 'show this help'], ['    --version', `show the version${version ? ` (${version})` : ''}`]);
  const column = Math.min(34, Math.max(...rows.map(([synopsis]) => synopsis.length))) + 4;
  out.push('Options:');
  for (const [synopsis, text] of rows) {
    const head = `  ${synopsis}`;
    if (head.length + 2 > column) out.push(head, ...wrap(' '.repeat(column), text, ' '.repeat(column)));
    else out.push(...wrap(head.padEnd(column), text, ' '.repeat(column)));
  }
  if (spec.examples && spec.examples.length > 0) {
    out.push('', 'Examples:');
    for (const [command, what] of spec.examples) out.push(`  ${name(command)}`, ...wrap('      ', what, '      '));
  }
  if (spec.epilogue) out.push('', ...wrap('', name(spec.epilogue)));
  return out.join('\n') + '\n';
}

const cell = (text: string) => text.replaceAll('|', '\\|');
/** Prose in a table cell: `<workdir>` would otherwise be taken for an HTML tag. */
const prose = (text: string) => cell(text).replaceAll('<', '&lt;');

/** The Markdown option table of a tool's README (written by `npm run docs:options`, checked by a test). */
export function optionTable(spec: CliSpec): string {
  const lines = ['| flag | what it does | config file | environment | default |', '|---|---|---|---|---|'];
  for (const [flag, option] of Object.entries(spec.options)) {
    const sources = option.setting ? settingSources(option.setting) : undefined;
    const fallback = defaultOf(option);
    const names = flagSynopsis(flag, option).trim();
    const describe = option.deprecated ? `${option.describe} (old name ${option.deprecated.map((d) => `\`--${d}\``).join(', ')}, deprecated)` : option.describe;
    lines.push(
      `| \`${cell(names)}\`${option.repeatable ? ' (repeatable)' : ''} | ${prose(describe)} | ${sources && sources.config.length > 0 ? sources.config.map(([s, k]) => `\`[${s}] ${k}\``).join(', ') : '—'} | ${sources ? `\`${sources.env}\`` : '—'} | ${fallback !== undefined ? `\`${String(fallback)}\`` : '—'} |`,
    );
  }
  return lines.join('\n');
}

/**
 * The vocabulary as one table: flag ↔ setting ↔ environment variable ↔ config key, and which tools
 * take the flag (docs/options.md, written by `npm run docs:options`).
 */
export function vocabularyTable(specs: readonly CliSpec[]): string {
  const lines = ['| flag | setting | environment | config key | tools |', '|---|---|---|---|---|'];
  for (const [flag, option] of Object.entries(vocabulary) as [string, OptionDescriptor][]) {
    const sources = option.setting ? settingSources(option.setting) : undefined;
    const tools = specs.filter((spec) => flag in spec.options).map((spec) => spec.tool);
    const names = `\`${cell(flagSynopsis(flag, option).trim())}\`${option.deprecated ? ` (was ${option.deprecated.map((d) => `\`--${d}\``).join(', ')})` : ''}`;
    lines.push(
      `| ${names} | ${option.setting ? `\`${option.setting}\`` : '—'} | ${sources ? `\`${sources.env}\`` : '—'} | ${sources && sources.config.length > 0 ? sources.config.map(([s, k]) => `\`[${s}] ${k}\``).join(', ') : '—'} | ${tools.join(', ') || '—'} |`,
    );
  }
  return lines.join('\n');
}

/** `text` with the part between `<!-- NAME:start -->` and `<!-- NAME:end -->` replaced by `block`. */
export function withGeneratedBlock(text: string, name: string, block: string, file: string): string {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`${file}: no ${start} … ${end} block`);
  return `${text.slice(0, from + start.length)}\n${block}\n${text.slice(to)}`;
}
