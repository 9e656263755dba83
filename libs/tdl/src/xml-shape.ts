import type { XmlAttribute, XmlElement } from './xml-reader.js';
import type { ProblemCollector } from './problems.js';

/**
 * Checks of one element's shape against Oz's tdl.rng: which children and attributes it may
 * have and how often. Every rule that fails is recorded; none stops the walk.
 */

export const XINCLUDE_NAMESPACES = ['http://www.w3.org/2001/XInclude', 'http://www.w3.org/2003/XInclude'];

export interface ChildRule {
  required?: boolean;
  /** May appear more than once. */
  repeat?: boolean;
}

/** Groups an element's children by name, reporting unknown, duplicate and missing ones, and stray text. */
export function childrenByName(el: XmlElement, rules: Record<string, ChildRule>, problems: ProblemCollector): Map<string, XmlElement[]> {
  const groups = new Map<string, XmlElement[]>();
  for (const child of el.children) {
    if (child.kind === 'text') {
      if (child.text.trim() !== '') problems.error(child.offset + leadingSpace(child.text), `<${el.name}> may not contain text, only elements`);
      continue;
    }
    const rule = Object.hasOwn(rules, child.name) ? rules[child.name] : undefined;
    if (!rule) {
      problems.error(child.offset, unexpectedElementMessage(child, el, Object.keys(rules)));
      continue;
    }
    const group = groups.get(child.name) ?? [];
    if (group.length > 0 && !rule.repeat)
      problems.error(child.offset, `<${child.name}> appears more than once in <${el.name}> (first at ${problems.where(group[0].offset)})`);
    group.push(child);
    groups.set(child.name, group);
  }
  for (const [name, rule] of Object.entries(rules)) if (rule.required && !groups.has(name)) problems.error(el.offset, `<${el.name}> has no <${name}>`);
  return groups;
}

function unexpectedElementMessage(child: XmlElement, parent: XmlElement, allowed: string[]): string {
  if (child.namespace && XINCLUDE_NAMESPACES.includes(child.namespace))
    return `<${child.name}>: XInclude is refused: ozkit never reads files a template points at this way`;
  const guess = closestName(child.name, allowed);
  if (guess) return `unexpected element <${child.name}> in <${parent.name}>: did you mean <${guess}>?`;
  const list = allowed.length > 0 ? ` (allowed here: ${allowed.map((n) => `<${n}>`).join(', ')})` : '';
  return `unexpected element <${child.name}> in <${parent.name}>${list}`;
}

/** The allowed name a misspelling most likely meant (edit distance ≤ 2, case ignored), if any. */
export function closestName(name: string, allowed: string[]): string | undefined {
  if (name.length > 40) return undefined;
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of allowed) {
    const d = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance && d < candidate.length / 2) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length];
}

/** The text of an element that may hold only text; child elements are reported. */
export function textOf(el: XmlElement, problems: ProblemCollector): string {
  let text = '';
  for (const child of el.children) {
    if (child.kind === 'text') text += child.text;
    else if (child.namespace && XINCLUDE_NAMESPACES.includes(child.namespace)) problems.error(child.offset, unexpectedElementMessage(child, el, []));
    else problems.error(child.offset, `<${el.name}> may contain only text, not <${child.name}>`);
  }
  return text;
}

/** Checks an element's attributes: unknown ones and missing required ones are reported. */
export function attributesOf(el: XmlElement, allowed: string[], required: string[], problems: ProblemCollector): Map<string, XmlAttribute> {
  const map = new Map<string, XmlAttribute>();
  for (const a of el.attributes) {
    if (a.name === 'xmlns' || a.name.startsWith('xmlns:')) continue;
    if (!allowed.includes(a.name)) {
      const guess = closestName(a.name, allowed);
      const list = guess ? `: did you mean ${guess}?` : allowed.length > 0 ? ` (allowed: ${allowed.join(', ')})` : '';
      problems.error(a.offset, `unexpected attribute ${a.name} on <${el.name}>${list}`);
      continue;
    }
    map.set(a.name, a);
  }
  for (const name of required) if (!map.has(name)) problems.error(el.offset, `<${el.name}> has no ${name} attribute`);
  return map;
}

function leadingSpace(text: string): number {
  return text.length - text.trimStart().length;
}

/** A value quoted for a message: short, one line, control characters shown escaped. */
export function quote(value: string, max = 60): string {
  const short = value.length > max ? value.slice(0, max) + '…' : value;
  return JSON.stringify(short);
}
