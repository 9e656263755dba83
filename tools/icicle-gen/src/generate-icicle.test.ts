import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateIcicle } from './generate-icicle.js';
import { debianDocument } from './sbom.test-support.js';

const tool = { name: 'icicle-gen', version: 'test' };
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'icicle-stage-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('generateIcicle', () => {
  it('writes no <description> for an empty TDL description, as Oz (lxml text None)', async () => {
    const doc = debianDocument(dir);
    doc.template!.description = '';
    const { xml } = await generateIcicle(doc, { tool });
    expect(xml.startsWith('<icicle>\n  <packages>\n')).toBe(true);
  });

  it('writes no <description> when the TDL has none', async () => {
    const doc = debianDocument(dir);
    delete doc.template!.description;
    const { xml } = await generateIcicle(doc, { tool });
    expect(xml).not.toContain('<description>');
  });

  it('leaves other keys untouched and records icicle', async () => {
    const doc = debianDocument(dir);
    const result = await generateIcicle(doc, { tool, formats: ['spdx'] });
    expect(result.doc.customize).toBe(doc.customize);
    expect(result.doc.icicle).toEqual({
      xml: join(dir, 'icicle.xml'),
      packages: 6,
      format: 'deb',
      source: 'document',
      sbom: { format: 'spdx', path: join(dir, 'sbom.spdx.json') },
      sboms: [{ format: 'spdx', path: join(dir, 'sbom.spdx.json') }],
    });
    expect(readFileSync(join(dir, 'icicle.xml'), 'utf8')).toBe(result.xml);
  });

  it('needs a workdir or explicit paths', async () => {
    const doc = debianDocument(dir);
    delete doc.workdir;
    await expect(generateIcicle(doc, { tool })).rejects.toThrow(/no workdir to put icicle.xml in/);
    const ok = await generateIcicle(doc, { tool, output: join(dir, 'x.xml') });
    expect(ok.doc.icicle!.xml).toBe(join(dir, 'x.xml'));
  });
});
