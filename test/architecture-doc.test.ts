import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DOCUMENT_KEYS, KEY_WRITERS } from '@ozkit/build-document';
import { documentKeyTable } from './support/architecture-table.js';
import { STAGES } from './support/stage-declarations.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

describe('docs/architecture.md', () => {
  it('lists the document keys exactly as the stage declarations say', () => {
    const text = readFileSync(join(repoRoot, 'docs', 'architecture.md'), 'utf8');
    const table = /<!-- document-keys:start -->\n([\s\S]*?)\n<!-- document-keys:end -->/.exec(text)?.[1];
    expect(table).toBe(documentKeyTable());
  });

  it('the writer runStage names for each key is a stage that declares it produces that key', () => {
    for (const [key, writer] of Object.entries(KEY_WRITERS)) {
      const stage = STAGES.find((s) => s.name === writer);
      const produces = typeof stage?.produces === 'string' ? [stage.produces] : stage?.produces;
      expect(produces, `${key} written by ${writer}`).toContain(key);
    }
    for (const key of Object.keys(DOCUMENT_KEYS).filter((k) => k !== 'stages' && k !== 'failure')) expect(KEY_WRITERS).toHaveProperty(key);
  });

  it('every key a stage reads exists in the document declaration', () => {
    for (const stage of STAGES) for (const path of [...stage.needs, ...(stage.uses ?? [])]) expect(Object.keys(DOCUMENT_KEYS)).toContain(path.split('.')[0]);
  });
});
