import { OzkitError, OzkitErrorList } from '@ozkit/errors';
import { DOCUMENT_KEYS, type BuildDocument, type DocumentKey } from './types.js';
import { problemsOf, type ObjectShape, type Problem, type Shape } from './shape.js';

/** The stage that writes each key (checked against the stage declarations by a test). */
export const KEY_WRITERS: Record<Exclude<DocumentKey, 'failure' | 'stages'>, string> = {
  workdir: 'tdl-validate',
  template: 'tdl-validate',
  answer: 'ks-render',
  media: 'iso-fetch',
  disk: 'guest-install',
  customize: 'guest-customize',
  icicle: 'icicle-gen',
  verify: 'image-verify',
};

/** A key a stage reads: a document key, or a path into one (`disk.path`) when it reads only that. */
export type KeyPath = DocumentKey | `${DocumentKey}.${string}`;

/** Only the first problems are shown: one broken inventory can have thousands. */
const MAX_PROBLEMS = 20;

/** The shape at `path` (`media.boot`, `customize.inventory`). */
export function shapeAt(path: KeyPath): Shape<unknown> {
  const [top, ...rest] = path.split('.');
  let s: Shape<unknown> | undefined = DOCUMENT_KEYS[top as DocumentKey];
  for (const name of rest) s = (s as Partial<ObjectShape<Record<string, Shape<unknown>>>> | undefined)?.props?.[name];
  if (!s) throw new OzkitError('INTERNAL', `no document key ${path}`);
  return s;
}

function valueAt(doc: BuildDocument, path: string): unknown {
  let value: unknown = doc;
  for (const name of path.split('.')) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[name];
  }
  return value;
}

/** Who wrote `key`, from the document's own stage records. */
export function writerOf(doc: BuildDocument, key: string): string {
  if (key === 'failure') {
    const stage = (doc.failure as { stage?: unknown } | undefined)?.stage;
    return typeof stage === 'string' ? `written by ${stage}` : 'written by a failed stage';
  }
  const expected = KEY_WRITERS[key as keyof typeof KEY_WRITERS];
  const records = Array.isArray(doc.stages) ? doc.stages : [];
  const record = [...records].reverse().find((r) => r && typeof r === 'object' && (Array.isArray(r.produced) ? r.produced.includes(key) : r.tool === expected));
  if (record && typeof record.tool === 'string') return `written by ${record.tool}`;
  return expected ? `no stage record says who wrote it; ${expected} does` : 'no stage record says who wrote it';
}

/** The problems of every key path given that the document has, rooted at the path. */
export function documentProblems(doc: BuildDocument, paths: readonly KeyPath[]): Problem[] {
  const problems: Problem[] = [];
  for (const path of paths) {
    const value = valueAt(doc, path);
    if (value === undefined) continue;
    problems.push(...problemsOf(shapeAt(path), value, path));
    if (problems.length >= MAX_PROBLEMS) break;
  }
  return problems.slice(0, MAX_PROBLEMS);
}

/**
 * Refuses a document a stage cannot use: first a key it needs that is missing (naming the
 * stage that writes it), then every key it reads that has the wrong shape, each with its key
 * path and the stage that wrote it. Exit 65.
 */
export function checkStageInput(doc: BuildDocument, needs: readonly DocumentKey[], uses: readonly KeyPath[] = []): void {
  for (const key of needs) {
    if (doc[key] === undefined || doc[key] === null)
      throw new OzkitError('BAD_DOCUMENT', `build document has no "${key}"`, {
        hint: key in KEY_WRITERS ? `run ${KEY_WRITERS[key as keyof typeof KEY_WRITERS]} earlier in the pipeline` : undefined,
      });
  }
  const problems = documentProblems(doc, [...needs, ...uses]);
  if (problems.length === 0) return;
  const errors = problems.map((p) => {
    const key = p.path.split(/[.[]/)[0];
    const writer = writerOf(doc, key);
    const rerun = /^written by (\S+)$/.exec(writer)?.[1] ?? KEY_WRITERS[key as keyof typeof KEY_WRITERS];
    return new OzkitError('BAD_DOCUMENT', `${p.path}: ${p.message} (${writer})`, {
      hint: `the document was edited or comes from another ozkit version${rerun ? `; rerun ${rerun} and the stages after it` : ''}`,
    });
  });
  throw errors.length === 1 ? errors[0] : new OzkitErrorList(errors);
}

/** A stage's own output must fit the contract too: when it does not, that is a bug in the stage (exit 70). */
export function checkStageOutput(doc: BuildDocument, produces: readonly KeyPath[], stage: string): void {
  const problems = documentProblems(doc, produces);
  if (problems.length === 0) return;
  throw new OzkitError('INTERNAL', `${stage} wrote a document that breaks the contract: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, {
    hint: 'this is a bug in ozkit; rerun with -v for the stack trace and report it',
  });
}
