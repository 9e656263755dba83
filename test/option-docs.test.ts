import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { optionDocs } from '../scripts/option-docs.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('option tables', () => {
  it('each tool README and docs/options.md show the options as the descriptors declare them (npm run docs:options rewrites them)', async () => {
    const docs = await optionDocs(root);
    expect(docs.length).toBeGreaterThanOrEqual(8);
    for (const [file, expected] of docs) expect(readFileSync(file, 'utf8'), `${relative(root, file)} drifted: run npm run docs:options`).toBe(expected);
  });
});
