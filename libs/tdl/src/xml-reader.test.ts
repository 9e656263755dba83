import { describe, expect, it } from 'vitest';
import { decodeSource, SourceSyntaxError } from './source-text.js';
import { readXml, type XmlElement } from './xml-reader.js';

function read(xml: string) {
  const source = decodeSource(Buffer.from(xml));
  return { source, root: readXml(source) };
}

describe('readXml', () => {
  it('keeps the place of every element, attribute and text run', () => {
    const { source, root } = read('<?xml version="1.0"?>\n<a x="1"\n   y=\'2\'>\n  hi<b/>there\n</a>');
    expect(source.locate(root.offset)).toEqual({ line: 2, column: 1 });
    expect(root.attributes.map((a) => [a.name, a.value, source.locate(a.offset)])).toEqual([
      ['x', '1', { line: 2, column: 4 }],
      ['y', '2', { line: 3, column: 4 }],
    ]);
    const [text, b, tail] = root.children;
    expect(text).toMatchObject({ kind: 'text', text: '\n  hi' });
    expect(source.locate((b as XmlElement).offset)).toEqual({ line: 4, column: 5 });
    expect(tail).toMatchObject({ kind: 'text', text: 'there\n' });
  });

  it('joins text, CDATA and references around comments and PIs into one run', () => {
    const { root } = read('<a>x<!-- c -->y<![CDATA[<&>]]>&amp;<?pi z?>&#x41;</a>');
    expect(root.children).toEqual([{ kind: 'text', text: 'xy<&>&A', offset: 3 }]);
  });

  it('normalizes whitespace in attribute values but keeps character references', () => {
    const { root } = read('<a v="p\tq\nr&#10;s"/>');
    expect(root.attributes[0].value).toBe('p q r\ns');
  });

  it('resolves namespace prefixes', () => {
    const { root } = read('<a xmlns:x="urn:x"><x:b/><c xmlns="urn:d"><e/></c></a>');
    const [b, c] = root.children as XmlElement[];
    expect(root.namespace).toBeUndefined();
    expect(b.namespace).toBe('urn:x');
    expect(c.namespace).toBe('urn:d');
    expect((c.children[0] as XmlElement).namespace).toBe('urn:d');
  });

  it('throws a located syntax error', () => {
    const source = decodeSource(Buffer.from('<a>\n  <b></c>\n</a>'));
    try {
      readXml(source);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(SourceSyntaxError);
      expect(source.locate((error as SourceSyntaxError).offset)).toEqual({ line: 2, column: 6 });
      expect((error as Error).message).toBe('</c> does not match <b> opened at 2:3');
    }
  });
});
