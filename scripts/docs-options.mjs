#!/usr/bin/env node
// `npm run docs:options`: rewrites the option tables in each tool's README and docs/options.md
// from the option descriptors (run after changing a tools/<tool>/src/options.ts).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { relative } from 'node:path';
import { optionDocs } from './option-docs.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
for (const [file, text] of await optionDocs(root)) {
  if (readFileSync(file, 'utf8') === text) continue;
  writeFileSync(file, text);
  console.log(`rewrote ${relative(root, file)}`);
}
