import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTdl } from './parse-tdl.js';
import { readRootPassword } from './root-password.js';
import { osElement, tdl } from './tdl-fixtures.test-support.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ozkit-tdl-rootpw-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function validated(name: string, rootpw: string | undefined) {
  const path = join(dir, name);
  const bytes = Buffer.from(tdl({ os: osElement(rootpw === undefined ? {} : { extra: `<rootpw>${rootpw}</rootpw>` }) }));
  writeFileSync(path, bytes);
  return { path, template: parseTdl(bytes, { path }).template };
}

describe('readRootPassword', () => {
  it('reads the password from the TDL the template came from, never from the document', async () => {
    const { template } = validated('plain.tdl', 'foo');
    expect(JSON.stringify(template)).not.toContain('foo</');
    expect(template.os.rootpw).toMatchObject({ set: true, line: 10, column: 5 });
    expect(await readRootPassword(template)).toBe('foo');
  });

  it('decodes entities and CDATA as XML does', async () => {
    expect(await readRootPassword(validated('entities.tdl', 'a&amp;b&lt;c&#x21;').template)).toBe('a&b<c!');
    expect(await readRootPassword(validated('cdata.tdl', '<![CDATA[p<&>w]]>').template)).toBe('p<&>w');
  });

  it('gives undefined when the TDL sets none', async () => {
    expect(await readRootPassword(validated('none.tdl', undefined).template)).toBeUndefined();
  });

  it('refuses a TDL changed since validation', async () => {
    const { path, template } = validated('changed.tdl', 'foo');
    writeFileSync(path, tdl({ os: osElement({ extra: '<rootpw>bar</rootpw>' }) }));
    await expect(readRootPassword(template)).rejects.toMatchObject({ code: 'BAD_TDL', message: expect.stringMatching(/changed since tdl-validate read it/) });
  });

  it('says which file is missing', async () => {
    const { path, template } = validated('gone.tdl', 'foo');
    rmSync(path);
    await expect(readRootPassword(template)).rejects.toMatchObject({ code: 'INPUT_MISSING', message: expect.stringContaining(path) });
  });
});
