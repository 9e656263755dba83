import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTdl } from '@ozkit/tdl';
import { renderAnswer } from '../render-answer.js';
import { checkKickstartGrammar } from './kickstart-grammar-check.js';
import { kickstartRelease } from './kickstart-grammar.js';
import { parseKickstart } from './kickstart-syntax.js';
// @ts-expect-error plain ESM shared with the verdict regeneration script
import { corpusCases, renderDefaultSeeds, textHash } from '../../test-fixtures/kickstart-corpus/corpus.mjs';

interface Case {
  id: string;
  release: string;
  mutation: string;
  text: string;
}
interface Verdict {
  verdict: 'ok' | 'error' | 'deprecated';
  message: string;
}

const corpusDir = new URL('../../test-fixtures/kickstart-corpus/', import.meta.url);
const scripts = new URL('../../scripts/', import.meta.url);

/** A pykickstart source tree: $OZKIT_PYKICKSTART or the shared test cache; CI has none and uses verdicts.json. */
function pykickstartTree(): string | undefined {
  const candidates = [process.env.OZKIT_PYKICKSTART, join(homedir(), '.cache', 'ozkit-test', 'pykickstart')];
  return candidates.find((d): d is string => d !== undefined && existsSync(join(d, 'tools', 'ksvalidator.py')));
}

/**
 * ksvalidator's verdicts for the cases, run in one Python process on the cases it has not judged
 * before: its earlier verdicts are kept per pykickstart tree (by content) and case text, so a
 * re-run only validates what changed.
 */
function liveVerdicts(tree: string, all: Case[]): Record<string, Verdict> {
  const treeId = createHash('sha256')
    .update(readFileSync(join(tree, 'setup.py')))
    .update(readFileSync(join(tree, 'tools', 'ksvalidator.py')))
    .digest('hex')
    .slice(0, 16);
  const cacheFile = join(homedir(), '.cache', 'ozkit-test', 'kickstart-verdicts', `${treeId}.json`);
  const known: Record<string, Verdict> = existsSync(cacheFile) ? JSON.parse(readFileSync(cacheFile, 'utf8')) : {};
  const keyOf = (c: Case) => `${c.release}:${textHash(c.text)}`;
  const todo = all.filter((c) => !known[keyOf(c)]);
  if (todo.length > 0) {
    const list = todo.map((c, i) => {
      const path = join(scratch, `case-${i}.ks`);
      writeFileSync(path, c.text);
      return { id: keyOf(c), release: c.release, path };
    });
    const raw = execFileSync('python3', [new URL('ksvalidator-verdicts.py', scripts).pathname, tree], {
      input: JSON.stringify(list),
      maxBuffer: 1 << 28,
      env: { ...process.env, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' },
    });
    Object.assign(known, JSON.parse(raw.toString('utf8')));
    mkdirSync(dirname(cacheFile), { recursive: true });
    const temp = `${cacheFile}.${process.pid}`;
    writeFileSync(temp, JSON.stringify(known));
    renameSync(temp, cacheFile);
  }
  return Object.fromEntries(all.map((c) => [c.id, known[keyOf(c)]]));
}

let cases: Case[] = [];
let verdicts: Record<string, Verdict> = {};
let verdictSource = '';
const scratch = mkdtempSync(join(tmpdir(), 'ks-corpus-test-'));

beforeAll(async () => {
  cases = corpusCases(await renderDefaultSeeds({ renderAnswer, parseTdl, scratchDir: scratch }));
  const tree = pykickstartTree();
  if (tree) {
    verdicts = liveVerdicts(tree, cases);
    verdictSource = `ksvalidator in ${tree}`;
  } else {
    const file = JSON.parse(readFileSync(new URL('verdicts.json', corpusDir), 'utf8')) as { cases: Record<string, Verdict & { sha: string; release: string }> };
    const stale = cases.filter((c) => file.cases[c.id]?.sha !== textHash(c.text)).map((c) => c.id);
    if (stale.length > 0)
      throw new Error(
        `verdicts.json does not match ${stale.length} corpus case(s) (first: ${stale[0]}): regenerate it with tools/ks-render/scripts/regenerate-kickstart-verdicts.mjs and a pykickstart tree`,
      );
    verdicts = file.cases;
    verdictSource = 'verdicts.json';
  }
}, 300_000);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function ourVerdict(c: Case) {
  const check = checkKickstartGrammar(parseKickstart(c.text), kickstartRelease(c.release));
  return {
    errors: check.errors.filter((e) => !e.stricter),
    stricter: check.errors.filter((e) => e.stricter),
    deprecations: check.warnings.filter((w) => w.rule === 'deprecated-command' || w.rule === 'deprecated-option'),
  };
}

describe('kickstart corpus: verdict parity with ksvalidator', () => {
  it('has at least 300 cases, every seed and mutation kind represented', () => {
    expect(cases.length).toBeGreaterThanOrEqual(300);
    expect(new Set(cases.map((c) => c.release)).size).toBeGreaterThanOrEqual(12);
    expect(cases.filter((c) => c.mutation === 'seed').length).toBeGreaterThanOrEqual(20);
  });

  it('refuses (or warns deprecated) every case ksvalidator refuses, and accepts every case it accepts', () => {
    const silentPasses: string[] = [];
    const falseRefusals: string[] = [];
    for (const c of cases) {
      const theirs = verdicts[c.id];
      expect(theirs, `${c.id} has a verdict`).toBeDefined();
      const ours = ourVerdict(c);
      const flagged = ours.errors.length + ours.stricter.length > 0 || (theirs.verdict === 'deprecated' && ours.deprecations.length > 0);
      if (theirs.verdict !== 'ok' && !flagged) silentPasses.push(`${c.id} (${c.release}): ksvalidator: ${theirs.message}`);
      if (theirs.verdict === 'ok' && ours.errors.length > 0) falseRefusals.push(`${c.id} (${c.release}): ${ours.errors[0].line}: ${ours.errors[0].message}`);
    }
    expect(silentPasses, `silent passes against ${verdictSource}`).toEqual([]);
    expect(falseRefusals, `refusals ksvalidator does not make (${verdictSource})`).toEqual([]);
  });

  it('goes beyond ksvalidator only with the rules marked stricter, and only where those are meant to apply', () => {
    const stricterKinds = new Set<string>();
    for (const c of cases) {
      if (verdicts[c.id].verdict !== 'ok') continue;
      for (const e of ourVerdict(c).stricter) stricterKinds.add(e.rule);
    }
    expect([...stricterKinds].sort()).toEqual(['duplicate', 'include', 'interpreter']);
  });

  it('the checked-in verdicts.json covers every case as it is now (and, with pykickstart here, says what ksvalidator says)', () => {
    const file = JSON.parse(readFileSync(new URL('verdicts.json', corpusDir), 'utf8')) as {
      source: { commit: string | null };
      cases: Record<string, Verdict & { sha: string }>;
    };
    expect(file.source.commit).toMatch(/^[0-9a-f]{40}$/);
    const stale = cases.filter((c) => file.cases[c.id]?.sha !== textHash(c.text) || file.cases[c.id].verdict !== verdicts[c.id].verdict).map((c) => c.id);
    expect(stale, 'regenerate with tools/ks-render/scripts/regenerate-kickstart-verdicts.mjs').toEqual([]);
  });

  it('the seeds themselves pass their release (the rendered defaults included)', () => {
    const failing = cases
      .filter((c) => c.mutation === 'seed')
      .filter((c) => verdicts[c.id].verdict !== 'ok' || checkKickstartGrammar(parseKickstart(c.text), kickstartRelease(c.release)).errors.length > 0);
    expect(failing.map((c) => `${c.id}: ${verdicts[c.id].message}`)).toEqual([]);
  });
});
