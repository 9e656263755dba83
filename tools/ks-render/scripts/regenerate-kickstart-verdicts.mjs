#!/usr/bin/env node
// Regenerates test-fixtures/kickstart-corpus/verdicts.json: every corpus case checked by the real
// ksvalidator of a pykickstart tree. Never edit the file by hand.
// Usage: npm run build && [PYKICKSTART_COMMIT=…] node tools/ks-render/scripts/regenerate-kickstart-verdicts.mjs PYKICKSTART_TREE
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseTdl } from '@ozkit/tdl';
import { renderAnswer } from '../dist/render-answer.js';
import { corpusCases, renderDefaultSeeds, textHash } from '../test-fixtures/kickstart-corpus/corpus.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const tree = resolve(process.argv[2] ?? '');
if (!process.argv[2]) {
  console.error('usage: regenerate-kickstart-verdicts.mjs PYKICKSTART_TREE');
  process.exitCode = 64;
} else {
  const scratch = mkdtempSync(join(tmpdir(), 'ks-verdicts-'));
  try {
    const cases = corpusCases(await renderDefaultSeeds({ renderAnswer, parseTdl, scratchDir: scratch }));
    const list = cases.map((c, i) => {
      const path = join(scratch, `case-${i}.ks`);
      writeFileSync(path, c.text);
      return { id: c.id, release: c.release, path };
    });
    const raw = execFileSync('python3', [join(here, 'ksvalidator-verdicts.py'), tree], {
      input: JSON.stringify(list),
      maxBuffer: 1 << 28,
      env: { ...process.env, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' },
    });
    const verdicts = JSON.parse(raw.toString('utf8'));
    let commit = null;
    try {
      commit = execFileSync('git', ['-C', tree, 'rev-parse', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'] })
        .toString()
        .trim();
    } catch {
      commit = process.env.PYKICKSTART_COMMIT ?? null;
    }
    const out = {
      source: { tool: 'pykickstart tools/ksvalidator.py', commit },
      cases: Object.fromEntries(cases.map((c) => [c.id, { release: c.release, sha: textHash(c.text), ...verdicts[c.id] }])),
    };
    writeFileSync(join(here, '../test-fixtures/kickstart-corpus/verdicts.json'), JSON.stringify(out, null, 1) + '\n');
    console.log(`${cases.length} cases: ${Object.values(verdicts).filter((v) => v.verdict !== 'ok').length} refused or deprecated`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
