import { SourceSyntaxError, type SourceText } from './source-text.js';

/**
 * A small, position-aware XML 1.0 reader for TDLs. It keeps the offset of every element,
 * attribute and text run (the validator reports line:col for each), and it refuses what
 * makes XML dangerous instead of half-supporting it: DTD declarations (so no entity
 * expansion and no external entities), external DTDs, and any entity but the five
 * predefined ones. Comments and processing instructions are skipped.
 */

export interface XmlAttribute {
  name: string;
  value: string;
  offset: number;
}

export interface XmlElement {
  kind: 'element';
  name: string;
  attributes: XmlAttribute[];
  children: XmlNode[];
  offset: number;
  /** Namespace URI of the element's prefix (or default namespace), if any. */
  namespace?: string;
}

export interface XmlText {
  kind: 'text';
  text: string;
  offset: number;
}

export type XmlNode = XmlElement | XmlText;

/** Deeper nesting than this is refused: no TDL needs it, and it bounds the work. */
export const MAX_DEPTH = 64;
/** More elements than this are refused for the same reason. */
export const MAX_ELEMENTS = 200_000;

const NAME_START =
  'A-Za-z_:\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C-\\u200D\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD\\u{10000}-\\u{EFFFF}';
const NAME_CHAR = NAME_START + '\\-.0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040';
// XML's NameStartChar includes U+200C-U+200D (ZWNJ, ZWJ) as a range, not as a joined sequence.
// eslint-disable-next-line no-misleading-character-class
const NAME = new RegExp(`[${NAME_START}][${NAME_CHAR}]*`, 'uy');
const SPACE = /[ \t\n]*/y;
const INVALID_CHAR = /[^\t\n\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const XML_NAMESPACE = 'http://www.w3.org/XML/1998/namespace';

export function readXml(source: SourceText): XmlElement {
  return new XmlReader(source).document();
}

class XmlReader {
  private i = 0;
  private elements = 0;

  private readonly s: string;

  constructor(private readonly source: SourceText) {
    this.s = source.text;
    const bad = INVALID_CHAR.exec(this.s);
    if (bad) {
      const code = bad[0].codePointAt(0) ?? 0;
      throw new SourceSyntaxError(`control character U+${code.toString(16).toUpperCase().padStart(4, '0')} is not allowed in XML`, bad.index);
    }
  }

  private fail(message: string, at = this.i): never {
    throw new SourceSyntaxError(message, at);
  }

  private startsWith(token: string): boolean {
    return this.s.startsWith(token, this.i);
  }

  private skipSpace(): boolean {
    SPACE.lastIndex = this.i;
    SPACE.exec(this.s);
    const moved = SPACE.lastIndex > this.i;
    this.i = SPACE.lastIndex;
    return moved;
  }

  private name(what: string): string {
    NAME.lastIndex = this.i;
    const m = NAME.exec(this.s);
    if (!m) this.fail(`expected ${what}`);
    this.i = NAME.lastIndex;
    return m[0];
  }

  document(): XmlElement {
    if (this.s.trim() === '') this.fail('empty file: no <template> element', 0);
    if (/^<\?xml[ \t\n?]/.test(this.s)) this.xmlDeclaration();
    let sawDoctype = false;
    for (;;) {
      this.skipSpace();
      if (this.i >= this.s.length) this.fail('no root element: expected <template>');
      if (this.startsWith('<!--')) this.comment();
      else if (this.startsWith('<?')) this.processingInstruction();
      else if (this.startsWith('<!DOCTYPE')) {
        if (sawDoctype) this.fail('a second <!DOCTYPE>');
        this.doctype();
        sawDoctype = true;
      } else if (this.startsWith('<') && !this.startsWith('</') && !this.startsWith('<!')) break;
      else this.fail(this.startsWith('<') ? 'expected the root element <template>' : 'text before the root element');
    }
    const root = this.element();
    for (;;) {
      this.skipSpace();
      if (this.i >= this.s.length) break;
      if (this.startsWith('<!--')) this.comment();
      else if (this.startsWith('<?')) this.processingInstruction();
      else
        this.fail(
          this.startsWith('<') && !this.startsWith('<!') && !this.startsWith('</')
            ? 'a second root element: a TDL has one <template>'
            : 'content after the root element',
        );
    }
    return root;
  }

  private xmlDeclaration(): void {
    const end = this.s.indexOf('?>');
    if (end === -1) this.fail('unterminated <?xml … ?> declaration');
    const decl = this.s.slice(0, end);
    const version = /\bversion\s*=\s*(["'])([^"']*)\1/.exec(decl);
    if (!version) this.fail('the <?xml … ?> declaration has no version');
    if (version[2] !== '1.0') this.fail(`XML version ${version[2]} is not supported (use 1.0)`, version.index);
    const encoding = /\bencoding\s*=\s*(["'])([^"']*)\1/.exec(decl);
    if (encoding && !/^(utf-?8|us-ascii|ascii)$/i.test(encoding[2])) this.fail(`encoding "${encoding[2]}" is not supported: save the TDL as UTF-8`, encoding.index);
    this.i = end + 2;
  }

  private comment(): void {
    const start = this.i;
    const end = this.s.indexOf('-->', this.i + 4);
    if (end === -1) this.fail('unterminated comment', start);
    const dashes = this.s.indexOf('--', this.i + 4);
    if (dashes < end) this.fail('"--" is not allowed inside a comment', dashes);
    this.i = end + 3;
  }

  private processingInstruction(): void {
    const start = this.i;
    this.i += 2;
    const target = this.name('a processing-instruction target after "<?"');
    if (target.toLowerCase() === 'xml') this.fail('an <?xml … ?> declaration is only allowed at the very start of the file', start);
    const end = this.s.indexOf('?>', this.i);
    if (end === -1) this.fail('unterminated processing instruction', start);
    this.i = end + 2;
  }

  private doctype(): void {
    const start = this.i;
    this.i += '<!DOCTYPE'.length;
    if (!this.skipSpace()) this.fail('expected a space after <!DOCTYPE');
    this.name('a name after <!DOCTYPE');
    this.skipSpace();
    if (this.startsWith('>')) {
      this.i++;
      return;
    }
    if (this.startsWith('[')) this.fail('DTD declarations (<!DOCTYPE … [ … ]>) are refused: ozkit expands no entities and loads no external files', start);
    if (this.startsWith('SYSTEM') || this.startsWith('PUBLIC'))
      this.fail('an external DTD (<!DOCTYPE … SYSTEM/PUBLIC …>) is refused: ozkit loads no external files', start);
    this.fail('malformed <!DOCTYPE>', start);
  }

  /** Reads an element and everything in it, iteratively (no recursion on hostile nesting). */
  private element(): XmlElement {
    const stack: { el: XmlElement; ns: Map<string, string> }[] = [];
    let root: XmlElement | undefined;
    const open = (parentNs: Map<string, string>): XmlElement | undefined => {
      const offset = this.i;
      this.i++;
      const name = this.name('an element name after "<"');
      if (++this.elements > MAX_ELEMENTS) this.fail(`more than ${MAX_ELEMENTS} elements: this is not a template ozkit accepts`, offset);
      const attributes: XmlAttribute[] = [];
      let selfClosing = false;
      for (;;) {
        const spaced = this.skipSpace();
        if (this.startsWith('/>')) {
          this.i += 2;
          selfClosing = true;
          break;
        }
        if (this.startsWith('>')) {
          this.i++;
          break;
        }
        if (this.i >= this.s.length) this.fail(`unterminated start tag <${name}>`, offset);
        if (!spaced) this.fail(`expected a space, ">" or "/>" in <${name}>`);
        const attrOffset = this.i;
        const attrName = this.name(`an attribute name or ">" in <${name}>`);
        this.skipSpace();
        if (!this.startsWith('=')) this.fail(`expected "=" after attribute ${attrName}`);
        this.i++;
        this.skipSpace();
        const quote = this.s[this.i];
        if (quote !== '"' && quote !== "'") this.fail(`the value of attribute ${attrName} must be quoted`);
        const end = this.s.indexOf(quote, this.i + 1);
        if (end === -1) this.fail(`unterminated value of attribute ${attrName}`, attrOffset);
        const raw = this.s.slice(this.i + 1, end);
        const lt = raw.indexOf('<');
        if (lt !== -1) this.fail(`"<" is not allowed in an attribute value`, this.i + 1 + lt);
        const value = this.decodeReferences(raw.replace(/[\t\n]/g, ' '), this.i + 1);
        if (attributes.some((a) => a.name === attrName)) this.fail(`attribute ${attrName} given twice`, attrOffset);
        attributes.push({ name: attrName, value, offset: attrOffset });
        this.i = end + 1;
      }
      const ns = new Map(parentNs);
      for (const a of attributes) {
        if (a.name === 'xmlns') ns.set('', a.value);
        else if (a.name.startsWith('xmlns:')) ns.set(a.name.slice(6), a.value);
      }
      const colon = name.indexOf(':');
      const prefix = colon === -1 ? '' : name.slice(0, colon);
      const namespace = prefix === 'xml' ? XML_NAMESPACE : ns.get(prefix);
      if (prefix !== '' && namespace === undefined) this.fail(`namespace prefix "${prefix}" of <${name}> is not declared`, offset);
      const el: XmlElement = { kind: 'element', name, attributes, children: [], offset, ...(namespace ? { namespace } : {}) };
      const parent = stack[stack.length - 1];
      if (parent) parent.el.children.push(el);
      else root = el;
      if (selfClosing) return undefined;
      if (stack.length >= MAX_DEPTH) this.fail(`elements nested more than ${MAX_DEPTH} deep: this is not a template ozkit accepts`, offset);
      stack.push({ el, ns });
      return el;
    };

    open(new Map());
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (this.i >= this.s.length) this.fail(`<${top.el.name}> is never closed`, top.el.offset);
      if (this.startsWith('</')) {
        const at = this.i;
        this.i += 2;
        const name = this.name('an element name after "</"');
        this.skipSpace();
        if (!this.startsWith('>')) this.fail(`expected ">" to end </${name}>`);
        this.i++;
        if (name !== top.el.name) {
          const opened = this.source.locate(top.el.offset);
          this.fail(`</${name}> does not match <${top.el.name}> opened at ${opened.line}:${opened.column}`, at);
        }
        stack.pop();
      } else if (this.startsWith('<!--')) this.comment();
      else if (this.startsWith('<![CDATA[')) {
        const start = this.i;
        const end = this.s.indexOf(']]>', this.i + 9);
        if (end === -1) this.fail('unterminated CDATA section', start);
        this.pushText(top.el, this.s.slice(this.i + 9, end), start);
        this.i = end + 3;
      } else if (this.startsWith('<?')) this.processingInstruction();
      else if (this.startsWith('<!')) this.fail(this.startsWith('<!DOCTYPE') ? '<!DOCTYPE> inside an element' : 'markup declarations are not allowed here');
      else if (this.startsWith('<')) open(top.ns);
      else {
        const start = this.i;
        let end = this.s.indexOf('<', this.i);
        if (end === -1) end = this.s.length;
        const raw = this.s.slice(this.i, end);
        const cdataEnd = raw.indexOf(']]>');
        if (cdataEnd !== -1) this.fail('"]]>" is not allowed in text', start + cdataEnd);
        this.pushText(top.el, this.decodeReferences(raw, start), start);
        this.i = end;
      }
    }
    return root as XmlElement;
  }

  private pushText(el: XmlElement, text: string, offset: number): void {
    const last = el.children[el.children.length - 1];
    if (last && last.kind === 'text') last.text += text;
    else el.children.push({ kind: 'text', text, offset });
  }

  /** Replaces the predefined entities and character references; anything else is refused. */
  private decodeReferences(raw: string, offset: number): string {
    if (!raw.includes('&')) return raw;
    let out = '';
    let from = 0;
    for (let amp = raw.indexOf('&'); amp !== -1; amp = raw.indexOf('&', from)) {
      out += raw.slice(from, amp);
      const semi = raw.indexOf(';', amp);
      const body = semi === -1 ? '' : raw.slice(amp + 1, semi);
      if (semi === -1 || semi - amp > 12 || !/^(#[0-9]+|#x[0-9a-fA-F]+|[A-Za-z_][A-Za-z0-9._-]*)$/.test(body))
        this.fail('"&" must start an entity reference such as &amp; (write a literal & as &amp;)', offset + amp);
      if (body.startsWith('#')) {
        const code = body[1] === 'x' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
        const ch = code <= 0x10ffff ? String.fromCodePoint(code) : '';
        if (ch === '' || (code !== 0xd && INVALID_CHAR.test(ch)) || (code >= 0xd800 && code <= 0xdfff))
          this.fail(`&${body}; is not a character XML allows`, offset + amp);
        out += ch;
      } else {
        const value = PREDEFINED[body];
        if (value === undefined) this.fail(`undefined entity &${body};: only &lt; &gt; &amp; &quot; &apos; and character references are allowed`, offset + amp);
        out += value;
      }
      from = semi + 1;
    }
    return out + raw.slice(from);
  }
}
