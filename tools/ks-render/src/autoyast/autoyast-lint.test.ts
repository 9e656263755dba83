import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { lintAutoyast } from './render-autoyast.js';

const lint = (text: string) => lintAutoyast(text, { customizationFollows: false, requirePoweroff: false });
const NS = 'xmlns="http://www.suse.com/1.0/yast2ns" xmlns:config="http://www.suse.com/1.0/configns"';
const profile = (attrs: string, body = '<general><mode><confirm config:type="boolean">false</confirm></mode></general>') =>
  `<?xml version="1.0"?>\n<profile ${attrs}>\n${body}\n</profile>\n`;

describe('AutoYaST: the profile namespace and typed values', () => {
  it('the user fixture passes', () => {
    expect(lint(readFileSync(new URL('../../test-fixtures/opensuse-15-user.xml', import.meta.url), 'utf8')).errors).toEqual([]);
  });

  it('a <profile> without the namespace, or in another one, is refused on its line', () => {
    expect(lint(profile('')).errors[0]).toMatchObject({ line: 2, message: '<profile> has no namespace: AutoYaST does not recognise it as a profile' });
    expect(lint(profile('xmlns="http://example.org/ns" xmlns:config="http://www.suse.com/1.0/configns"')).errors[0].message).toBe(
      '<profile> is in namespace "http://example.org/ns", not AutoYaST\'s',
    );
  });

  it('config:type without xmlns:config, unknown types and values that do not fit their type', () => {
    expect(lint(profile('xmlns="http://www.suse.com/1.0/yast2ns"')).errors.map((e) => e.message)).toContain(
      'config:type is used but <profile> does not declare xmlns:config',
    );
    const r = lint(
      profile(
        NS,
        '<general><mode><confirm config:type="boolean">no</confirm></mode></general>\n<partitioning config:type="lst"/>\n<x><size config:type="integer">big</size></x>',
      ),
    );
    expect(r.errors.map((e) => [e.line, e.message])).toEqual([
      [3, '<confirm> is a boolean but holds "no"'],
      [4, '<partitioning> has config:type="lst" (AutoYaST knows boolean, integer, list, symbol)'],
      [5, '<size> is an integer but holds "big"'],
    ]);
  });
});
