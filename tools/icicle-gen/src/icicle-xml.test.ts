import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseExtraOutput, parseInventory } from '@ozkit/inventory';
import type { Inventory } from '@ozkit/build-document';
import { icicleFromInventory, renderIcicleXml } from './icicle-xml.js';

interface OzCase {
  name: string;
  format: 'rpm' | 'deb';
  description?: string;
  extraCommand?: string;
  /** What Oz's own commands printed on this system (input to Oz's do_icicle). */
  oz: Record<string, string>;
  /** What ozkit's inventory query printed on the same system. */
  inventory: string;
  extra?: string;
}

const fixtures = new URL('../test-fixtures/oz/', import.meta.url);
const cases = JSON.parse(readFileSync(new URL('cases.json', fixtures), 'utf8')) as OzCase[];

describe('ICICLE XML is byte for byte what Oz 0.17 writes', () => {
  // The expected files were written by Oz's own do_icicle/_output_icicle_xml (test-fixtures/oz/generate.py).
  for (const c of cases) {
    it(c.name, () => {
      const packages = parseInventory(c.format, c.inventory);
      const inventory: Inventory = { format: c.format, packages, collectedAt: '2026-01-01T00:00:00Z' };
      if (c.extra !== undefined) inventory.extra = parseExtraOutput(c.extra, packages.length);
      const expected = readFileSync(new URL(`${c.name}.xml`, fixtures), 'utf8');
      expect(icicleFromInventory(inventory, c.description)).toBe(expected);
    });
  }
});

describe('renderIcicleXml', () => {
  it('escapes attributes the way libxml2 does, including whitespace characters', () => {
    const xml = renderIcicleXml({ names: ['a\tb\nc\rd"e'] });
    expect(xml).toContain('<package name="a&#9;b&#10;c&#13;d&quot;e"/>');
  });

  it('skips empty names as Oz does but keeps extra lines aligned by index', () => {
    const xml = renderIcicleXml({ names: ['a', '', 'c'], extra: ['1', '2', '3'] });
    expect(xml).toContain('<package name="a">\n      <extra>1</extra>');
    expect(xml).toContain('<package name="c">\n      <extra>3</extra>');
    expect(xml).not.toContain('<extra>2</extra>');
  });

  it('refuses characters XML cannot hold, naming the package', () => {
    expect(() => renderIcicleXml({ names: ['ok'], extra: ['bell\u0007'] })).toThrow(/extra_command line for ok contains U\+0007/);
    expect(() => renderIcicleXml({ names: ['nul\u0000'] })).toThrow(/contains U\+0000/);
  });

  it('refuses extra lines that do not match the packages', () => {
    expect(() => renderIcicleXml({ names: ['a', 'b'], extra: ['1'] })).toThrow(/1 line\(s\) for 2 package\(s\)/);
  });

  it('keeps astral characters (valid surrogate pairs)', () => {
    expect(renderIcicleXml({ names: ['pkg-😀'] })).toContain('name="pkg-😀"');
  });
});
