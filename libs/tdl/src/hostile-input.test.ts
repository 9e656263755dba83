import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_TDL_BYTES } from './source-text.js';
import { MAX_REPORTED_PROBLEMS } from './problems.js';
import { parse, problemsOf, tdl } from './tdl-fixtures.test-support.js';

/**
 * Inputs built to hurt a parser. Each must end within a second (the generous timeouts
 * only catch a hang) as a clean located error or a correct parse, and no message may
 * carry the content of a file the input points at.
 */

const SECRET = 'TOP-SECRET-CONTENT-0123456789';
let dir: string;
let secretFile: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ozkit-tdl-hostile-'));
  secretFile = join(dir, 'secret.txt');
  writeFileSync(secretFile, SECRET + '\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const T = 5_000;

function expectCleanRefusal(xml: string | Uint8Array, pattern: RegExp): string[] {
  const problems = problemsOf(xml);
  expect(
    problems.some((p) => pattern.test(p)),
    problems.join('\n'),
  ).toBe(true);
  for (const p of problems) {
    expect(p).not.toContain(SECRET);
    expect(p).toMatch(/^t\.tdl(:\d+:\d+)?: /);
  }
  return problems;
}

describe('entities and DTDs', () => {
  it(
    'refuses a billion-laughs entity bomb without expanding it',
    () => {
      const lol = ['<!ENTITY lol "lol">', ...Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`)].join('\n');
      expectCleanRefusal(`<?xml version="1.0"?>\n<!DOCTYPE template [\n${lol}\n]>\n${tdl({ name: '&lol9;' })}`, /^t\.tdl:2:1: DTD declarations .* are refused/);
    },
    T,
  );

  it(
    'refuses an external entity (XXE) and never shows the file it names',
    () => {
      const xml = `<!DOCTYPE template [<!ENTITY xxe SYSTEM "file://${secretFile}">]>\n${tdl({ name: '&xxe;' })}`;
      expectCleanRefusal(xml, /DTD declarations/);
    },
    T,
  );

  it(
    'refuses a parameter-entity XXE',
    () => {
      const xml = `<!DOCTYPE template [<!ENTITY % p SYSTEM "file://${secretFile}"> %p;]>\n${tdl()}`;
      expectCleanRefusal(xml, /DTD declarations/);
    },
    T,
  );

  it(
    'refuses an external DTD',
    () => {
      expectCleanRefusal(`<!DOCTYPE template SYSTEM "file://${secretFile}">\n${tdl()}`, /^t\.tdl:1:1: an external DTD .* is refused/);
      expectCleanRefusal(`<!DOCTYPE template PUBLIC "-//x//y" "http://example.org/x.dtd">\n${tdl()}`, /an external DTD/);
    },
    T,
  );

  it(
    'refuses an entity that was never declared, at its place',
    () => {
      expectCleanRefusal(tdl({ name: 'a&xxe;b' }), /^t\.tdl:2:10: undefined entity &xxe;/);
    },
    T,
  );

  it('accepts a bare <!DOCTYPE template> and an XML declaration', () => {
    const { template } = parse(`<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE template>\n${tdl()}`);
    expect(template.name).toBe('f12jeos');
  });

  it(
    'refuses XInclude and never reads what it points at',
    () => {
      const xml = tdl({ body: `<description><xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="${secretFile}" parse="text"/></description>` });
      expectCleanRefusal(xml, /^t\.tdl:\d+:16: <xi:include>: XInclude is refused/);
      const top = tdl({ body: `<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="${secretFile}"/>` });
      expectCleanRefusal(top, /XInclude is refused/);
      const unprefixed = tdl({ body: `<include xmlns="http://www.w3.org/2001/XInclude" href="${secretFile}"/>` });
      expectCleanRefusal(unprefixed, /<include>: XInclude is refused/);
      const rootNs = `<template xmlns="http://www.w3.org/2001/XInclude"><include href="${secretFile}"/></template>`;
      expectCleanRefusal(rootNs, /<template> must not be in a namespace/);
    },
    T,
  );

  it('decodes the predefined entities and character references', () => {
    const { template } = parse(tdl({ body: '<description>&lt;a&gt; &amp; &quot;&apos; &#65;&#x42; &#x1F600;</description>' }));
    expect(template.description).toBe('<a> & "\' AB 😀');
  });

  it('refuses character references to characters XML forbids', () => {
    expectCleanRefusal(tdl({ name: 'a&#0;b' }), /&#0; is not a character XML allows/);
    expectCleanRefusal(tdl({ name: 'a&#x110000;b' }), /is not a character XML allows/);
    expectCleanRefusal(tdl({ name: 'a&#xD800;b' }), /is not a character XML allows/);
  });
});

describe('bytes that are not a TDL', () => {
  it(
    'refuses a file over 16 MiB before parsing it',
    () => {
      const big = Buffer.alloc(MAX_TDL_BYTES + 1, 0x20);
      expectCleanRefusal(big, /at most 16777216 bytes/);
    },
    T,
  );

  it(
    'handles a 16 MiB file of whitespace inside a command quickly',
    () => {
      const pad = ' '.repeat(MAX_TDL_BYTES - 1000);
      const { template } = parse(tdl({ body: `<commands><command name="c">${pad}x${pad.slice(0, 10)}</command></commands>` }).slice(0, MAX_TDL_BYTES));
      expect(template.commands[0].content).toBe('x');
    },
    T,
  );

  it(
    'refuses binary garbage with a NUL at its place',
    () => {
      const garbage = Buffer.from([0x3c, 0x74, 0x0a, 0x41, 0x00, 0xff, 0xfe, 0x13]);
      expectCleanRefusal(garbage, /^t\.tdl:2:2: NUL byte: this is binary data, not a TDL$/);
    },
    T,
  );

  it(
    'refuses random bytes without a hang',
    () => {
      let seed = 42;
      const bytes = Buffer.alloc(1 << 20, 0).map(() => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        return (seed >> 16) & 0xff || 1;
      });
      expectCleanRefusal(bytes, /not UTF-8|control character|root element|text before/);
    },
    T,
  );

  it('refuses bytes that are not UTF-8, at their line and column', () => {
    const bytes = Buffer.concat([Buffer.from('<template>\n  <name>ab'), Buffer.from([0xc3, 0x28]), Buffer.from('</name>\n</template>\n')]);
    expectCleanRefusal(bytes, /^t\.tdl:2:11: bytes that are not UTF-8/);
  });

  it('refuses control characters at their place', () => {
    expectCleanRefusal(tdl({ name: 'a\u0007b' }), /^t\.tdl:2:10: control character U\+0007 is not allowed in XML$/);
  });

  it('refuses UTF-16', () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(tdl(), 'utf16le')]);
    expectCleanRefusal(utf16, /UTF-16 text is not supported/);
  });

  it('refuses a declared encoding other than UTF-8', () => {
    expectCleanRefusal(`<?xml version="1.0" encoding="ISO-8859-1"?>\n${tdl()}`, /encoding "ISO-8859-1" is not supported/);
  });

  it('accepts a UTF-8 BOM, and keeps columns right after it', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(tdl({ os: null }))]);
    expect(problemsOf(bytes)).toEqual(['t.tdl:1:1: <template> has no <os>']);
  });

  it('reads CRLF and lone CR line ends as line breaks, with the right line numbers', () => {
    const crlf = tdl({ body: '<commands><command name="c">\necho a\necho b\n</command></commands>' }).replace(/\n/g, '\r\n');
    expect(parse(crlf).template.commands[0].content).toBe('echo a\necho b');
    const cr = tdl({ os: null }).replace(/\n/g, '\r') + '\r<bogus/>';
    expect(problemsOf(cr)).toContain('t.tdl:5:1: a second root element: a TDL has one <template>');
  });

  it('refuses an empty file and a file of whitespace', () => {
    expectCleanRefusal('', /empty file/);
    expectCleanRefusal('\n\n   \n', /empty file/);
  });
});

describe('malformed XML', () => {
  it.each([
    ['an unclosed element', tdl().replace('</template>', ''), /^t\.tdl:1:1: <template> is never closed$/],
    ['a mismatched end tag', tdl({ name: 'x</nam><name>y' }), /^t\.tdl:2:10: <\/nam> does not match <name> opened at 2:3$/],
    ['an unterminated comment', `${tdl()}<!-- never ends`, /unterminated comment/],
    ['"--" in a comment', `<!-- a -- b -->${tdl()}`, /"--" is not allowed inside a comment/],
    ['a duplicate attribute', tdl({ attributes: ' version="1.0" version="1.0"' }), /^t\.tdl:1:25: attribute version given twice$/],
    ['an unquoted attribute', tdl({ attributes: ' version=1.0' }), /must be quoted/],
    ['"<" in an attribute value', tdl({ attributes: ' version="<"' }), /"<" is not allowed in an attribute value/],
    ['a bare "&"', tdl({ name: 'a & b' }), /^t\.tdl:2:11: "&" must start an entity reference/],
    ['"]]>" in text', tdl({ name: 'a ]]> b' }), /"\]\]>" is not allowed in text/],
    ['text after the root', `${tdl()}trailing`, /content after the root element/],
    ['an XML declaration not at the start', `\n<?xml version="1.0"?>${tdl()}`, /only allowed at the very start/],
    ['XML 1.1', `<?xml version="1.1"?>${tdl()}`, /XML version 1\.1 is not supported/],
    ['an undeclared namespace prefix', tdl({ body: '<x:y/>' }), /namespace prefix "x" of <x:y> is not declared/],
  ])('refuses %s with one located message', (_, xml, pattern) => {
    const problems = expectCleanRefusal(xml, pattern);
    expect(problems).toHaveLength(1);
  });

  it(
    'refuses hostile nesting without recursion',
    () => {
      const deep = '<template>' + '<a>'.repeat(200_000) + '</a>'.repeat(200_000) + '</template>';
      expectCleanRefusal(deep, /nested more than 64 deep/);
    },
    T,
  );

  it(
    'refuses millions of elements',
    () => {
      const many = `<template>${'<a/>'.repeat(1_000_000)}</template>`;
      expectCleanRefusal(many, /more than 200000 elements/);
    },
    T,
  );

  it(
    'summarizes thousands of problems after the first ones',
    () => {
      const many = tdl({ body: '<bogus/>'.repeat(5_000) });
      const problems = problemsOf(many);
      expect(problems).toHaveLength(MAX_REPORTED_PROBLEMS + 1);
      expect(problems[problems.length - 1]).toBe(`t.tdl: … and ${5_000 - MAX_REPORTED_PROBLEMS} more problems`);
    },
    T,
  );

  it(
    'copes with a huge attribute value and a huge base64 file',
    () => {
      const long = 'a'.repeat(4_000_000);
      const { template } = parse(tdl({ body: `<files><file name="/x${long}" type="base64">${'QUJD'.repeat(1_000_000)}</file></files>` }));
      expect(template.files[0].content).toHaveLength(4_000_000);
    },
    T,
  );

  it(
    'locates problems at the end of one 15 MiB line of emoji quickly, in characters',
    () => {
      const pad = '😀'.repeat(3_500_000);
      const problems = problemsOf(`<template><description>${pad}</description>${'<x/>'.repeat(200)}</template>`);
      expect(problems[2]).toBe(
        `t.tdl:1:${'<template><description>'.length + 3_500_000 + '</description>'.length + 1}: unexpected element <x> in <template> (allowed here: <name>, <os>, <description>, <packages>, <files>, <commands>, <precommands>, <repositories>, <disk>)`,
      );
    },
    T,
  );

  it(
    'copes with a long almost-base64 text (no regex blow-up)',
    () => {
      expectCleanRefusal(tdl({ body: `<files><file name="/x" type="base64">${'A'.repeat(3_000_000)}!</file></files>` }), /not base64/);
    },
    T,
  );
});
