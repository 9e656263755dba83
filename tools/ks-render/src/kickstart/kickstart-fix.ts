import { checkKickstartGrammar, type KickstartFix } from './kickstart-grammar-check.js';
import type { KickstartRelease } from './kickstart-grammar.js';
import { parseKickstart } from './kickstart-syntax.js';

export interface FixedKickstart {
  text: string;
  /** One entry per repair, located in the user's file. */
  fixed: { line: number; description: string }[];
}

/**
 * `--fix`: applies the grammar check's mechanical repairs (case, superfluous arguments of
 * commands that take none, a stray option line joined to its section) to a copy of the text.
 */
export function fixKickstart(text: string, release: KickstartRelease): FixedKickstart {
  const doc = parseKickstart(text);
  const check = checkKickstartGrammar(doc, release);
  const fixes = [...check.errors, ...check.warnings].map((p) => p.fix).filter((f): f is KickstartFix => f !== undefined);
  if (fixes.length === 0) return { text, fixed: [] };
  const lines = [...doc.lines];
  for (const f of fixes) {
    if (f.appendTo) lines[f.appendTo.line - 1] = f.appendTo.text;
    // A dropped line becomes a comment, so every later line keeps its number in messages.
    lines[f.line - 1] = f.text ?? `# ks-render --fix: ${f.description}`;
  }
  const trailing = text.endsWith('\n') ? '\n' : '';
  return {
    text: lines.join('\n') + trailing,
    fixed: fixes.map((f) => ({ line: f.line, description: f.description })).sort((a, b) => a.line - b.line),
  };
}
