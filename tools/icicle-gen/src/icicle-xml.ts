import { OzkitError } from '@ozkit/errors';
import type { Inventory } from '@ozkit/build-document';
import { icicleName } from '@ozkit/inventory';

/**
 * ICICLE XML exactly as Oz writes it (`Guest._output_icicle_xml`: lxml, pretty-printed,
 * no XML declaration, two-space indent, trailing newline, `<packages/>` when empty, an
 * `<extra>` child per package when extra_command ran). Escaping follows libxml2: text gets
 * &amp; &lt; &gt; and &#13;; attributes also &quot;, &#9;, &#10;. Non-ASCII stays UTF-8.
 */
export interface IcicleContent {
  /** Omitted from the XML when undefined (Oz: no TDL description). */
  description?: string;
  /** Package names in output order; empty names are skipped, as Oz does. */
  names: string[];
  /** One entry per name (same index), or undefined for no `<extra>` elements. */
  extra?: string[];
}

// XML 1.0 Char production: lxml refuses anything else ("All strings must be XML compatible").
// eslint-disable-next-line no-control-regex
const NOT_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function checkChars(value: string, what: string): void {
  const m = NOT_XML_CHAR.exec(value);
  if (m) {
    const code = m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    throw new OzkitError('BAD_DOCUMENT', `${what} contains U+${code}, which XML cannot hold`, {
      hint: 'fix the package data or the os/icicle/extra_command output; Oz stops with the same problem',
    });
  }
}

function escapeText(value: string): string {
  return value.replace(/[&<>\r]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&#13;'));
}

const ATTRIBUTE_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
};

function escapeAttribute(value: string): string {
  return value.replace(/[&<>"\t\n\r]/g, (c) => ATTRIBUTE_ESCAPES[c]);
}

export function renderIcicleXml(content: IcicleContent): string {
  const { names, extra, description } = content;
  if (extra !== undefined && extra.length !== names.length) {
    throw new OzkitError('BAD_DOCUMENT', `customize.inventory.extra has ${extra.length} line(s) for ${names.length} package(s)`, {
      hint: 'extra_command must print one line per package; rerun guest-customize',
    });
  }
  const out: string[] = ['<icicle>\n'];
  if (description !== undefined) {
    checkChars(description, 'the TDL description');
    out.push(`  <description>${escapeText(description)}</description>\n`);
  }
  const packageLines: string[] = [];
  names.forEach((name, index) => {
    if (name === '') return;
    checkChars(name, `package name ${JSON.stringify(name)}`);
    const open = `    <package name="${escapeAttribute(name)}"`;
    if (extra === undefined) {
      packageLines.push(`${open}/>\n`);
      return;
    }
    const line = extra[index];
    checkChars(line, `the extra_command line for ${name}`);
    packageLines.push(`${open}>\n      <extra>${escapeText(line)}</extra>\n    </package>\n`);
  });
  if (packageLines.length === 0) out.push('  <packages/>\n');
  else out.push('  <packages>\n', ...packageLines, '  </packages>\n');
  out.push('</icicle>\n');
  return out.join('');
}

/** The ICICLE for an inventory: names as Oz would list them on the same system (see icicleName). */
export function icicleFromInventory(inventory: Inventory, description: string | undefined): string {
  return renderIcicleXml({
    description,
    names: inventory.packages.map((p) => icicleName(p, inventory.format)),
    extra: inventory.extra,
  });
}
