import { OzkitErrorList } from '@ozkit/errors';
import { parseTdl, type ParsedTdl, type ParseTdlOptions } from './parse-tdl.js';

/** Builders for TDL test cases: a valid Fedora template with any part replaced. */

export const URL_INSTALL = `<install type='url'>
      <url>http://download.example.org/pub/fedora/linux/releases/12/Fedora/x86_64/os/</url>
    </install>`;

export const ISO_INSTALL = `<install type='iso'>
      <iso>http://download.example.org/Fedora-12-x86_64-DVD.iso</iso>
    </install>`;

export interface OsParts {
  name?: string | null;
  version?: string | null;
  arch?: string | null;
  install?: string | null;
  extra?: string;
}

export function osElement(parts: OsParts = {}): string {
  const line = (tag: string, value: string | null | undefined, fallback: string) => (value === null ? '' : `\n    <${tag}>${value ?? fallback}</${tag}>`);
  const install = parts.install === null ? '' : `\n    ${parts.install ?? URL_INSTALL}`;
  return `<os>${line('name', parts.name, 'Fedora')}${line('version', parts.version, '12')}${line('arch', parts.arch, 'x86_64')}${install}${parts.extra ? `\n    ${parts.extra}` : ''}
  </os>`;
}

export interface TemplateParts {
  attributes?: string;
  name?: string | null;
  os?: string | null;
  body?: string;
  root?: string;
}

export function tdl(parts: TemplateParts = {}): string {
  const root = parts.root ?? 'template';
  const name = parts.name === null ? '' : `\n  <name>${parts.name ?? 'f12jeos'}</name>`;
  const os = parts.os === null ? '' : `\n  ${parts.os ?? osElement()}`;
  return `<${root}${parts.attributes ?? ''}>${name}${os}${parts.body ? `\n  ${parts.body}` : ''}
</${root}>
`;
}

export const TEST_PATH = '/work/test/template.tdl';

export function parse(xml: string | Uint8Array, options: Partial<ParseTdlOptions> = {}): ParsedTdl {
  const bytes = typeof xml === 'string' ? Buffer.from(xml, 'utf8') : xml;
  return parseTdl(bytes, { path: TEST_PATH, label: 't.tdl', checkLocalFiles: true, ...options });
}

/** The problem lines of an invalid TDL (throws if it turned out valid). */
export function problemsOf(xml: string | Uint8Array, options: Partial<ParseTdlOptions> = {}): string[] {
  try {
    parse(xml, options);
  } catch (error) {
    if (error instanceof OzkitErrorList) return error.errors.map((e) => e.message);
    throw error;
  }
  throw new Error('expected the TDL to be invalid, but it parsed');
}
