import { rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { OzkitError, toOzkitError, type ExitCodeValue } from '@ozkit/errors';
import {
  appendStage,
  checkStageInput,
  checkStageOutput,
  documentProblems,
  evidenceOf,
  newBuildDocument,
  readBuildDocument,
  writeBuildDocument,
  writerOf,
  type BuildDocument,
  type DocumentKey,
  type DocumentWith,
  type Failure,
  type KeyPath,
  type StageRecord,
} from '@ozkit/build-document';
import type { CommandContext } from './run-command.js';

/** What a stage's `run` hands back: the document, or the document plus extra facts for its stage record. */
export type StageResult =
  | BuildDocument
  | {
      doc: BuildDocument;
      /** Extra fields of this stage's record (ppm2png: the PNGs it wrote). */
      record?: Partial<StageRecord>;
      /** Thrown once the document is written: the stage did its part, but some of it failed (exit non-zero). */
      errorAfterWrite?: OzkitError;
    };

/**
 * A pipeline stage, declared: the document keys it needs (checked before `run`), the ones it
 * reads when present (`uses`, whole keys or paths into one such as `disk.path`), and the keys
 * it writes (checked after `run`). runStage does the rest: reading, refusing, records, writing.
 */
export interface StageDeclaration<Opts, Needs extends DocumentKey = DocumentKey> {
  /** The tool name (as in stage records and `failure.stage`). */
  name: string;
  needs: readonly Needs[];
  uses?: readonly KeyPath[];
  /** Keys, or paths into one when the stage writes only that part (ppm2png: `failure.screenshots`). */
  produces: KeyPath | readonly KeyPath[];
  /** Runs on documents that record a failure instead of passing them on (ppm2png converts their screenshots). */
  readsFailures?: boolean;
  run(doc: DocumentWith<Needs>, opts: Opts, ctx: CommandContext): Promise<StageResult>;
}

/** Declares a stage (only for the types: `needs` becomes what `run` may rely on). */
export function defineStage<Opts, const Needs extends DocumentKey>(stage: StageDeclaration<Opts, Needs>): StageDeclaration<Opts, Needs> {
  return stage;
}

export const producedKeys = (stage: Pick<StageDeclaration<never>, 'produces'>): readonly KeyPath[] =>
  typeof stage.produces === 'string' ? [stage.produces] : (stage.produces as readonly KeyPath[]);

export interface RunStageOptions {
  ctx: CommandContext;
  /** --in / --out */
  in?: string;
  out?: string;
  /** tdl-validate starts a document instead of reading one. */
  createDocument?: boolean;
  /** No document on stdin (a terminal, empty input) starts a new one (icicle-gen --live). */
  emptyStartsNew?: boolean;
  /** false: stdout carries the stage's product, not the document (icicle-gen --stdout); --out still gets it. */
  documentToStdout?: boolean;
  stdout?: NodeJS.WritableStream & { isTTY?: boolean };
  /** The document's bytes when the tool already started reading them (ppm2png sniffs its input), and their name. */
  stdin?: AsyncIterable<Buffer | string>;
  label?: string;
}

/**
 * The shared shape of a pipeline stage: read the document, refuse to act on one that
 * records an earlier failure (pass it on unchanged, exit with its code), check the keys the
 * stage needs, run it, check what it wrote, append its record, write the document. On
 * failure the document goes on with `failure` filled in, so the rest of the pipe stops
 * cleanly and ppm2png can find the screenshots.
 */
export async function runStage<Opts, Needs extends DocumentKey>(stage: StageDeclaration<Opts, Needs>, opts: Opts, options: RunStageOptions): Promise<void> {
  const { ctx } = options;
  const doc = options.createDocument
    ? newBuildDocument()
    : await readBuildDocument({ in: options.in, emptyStartsNew: options.emptyStartsNew, stdin: options.stdin, label: options.label, signal: ctx.signal });
  const toFile = options.out !== undefined && options.out !== '-';
  const write = async (d: BuildDocument) => {
    if (options.documentToStdout === false && !toFile) return;
    await writeBuildDocument(d, { out: options.out, stdout: options.stdout });
  };
  const writeSucceeded = async (d: BuildDocument) => {
    await write(d);
    // The failure of an earlier run is over once FILE is there.
    if (toFile && failedDocumentPath(options.out!) !== options.out) await rm(failedDocumentPath(options.out!), { force: true });
  };
  // --out FILE is written only when the tool exits 0 (writeBuildDocument renames a complete temp
  // file into place), so make and scripts can trust FILE; a failed run's document goes to
  // FILE.failed.json instead and a stale FILE from an earlier run is removed.
  const writeFailed = async (d: BuildDocument) => {
    if (!toFile) return write(d);
    const out = options.out!;
    await writeBuildDocument(d, { out: failedDocumentPath(out) });
    // An in-place update (--in FILE --out FILE) keeps its input as it was.
    if (options.in === undefined || resolve(options.in) !== resolve(out)) await rm(out, { force: true });
  };
  if (doc.failure !== undefined && !stage.readsFailures) {
    await writeFailed(doc);
    throw earlierFailure(doc);
  }
  const startedAt = new Date();
  const record = (extra: Partial<StageRecord>): StageRecord => ({
    tool: ctx.tool,
    version: ctx.version,
    startedAt: startedAt.toISOString(),
    seconds: Math.round((Date.now() - startedAt.getTime()) / 100) / 10,
    ...extra,
  });
  let errorAfterWrite: OzkitError | undefined;
  try {
    checkStageInput(doc, stage.needs, stage.uses);
    const result = await stage.run(doc as DocumentWith<Needs>, opts, ctx);
    const outcome = 'ozkit' in result ? { doc: result as BuildDocument } : result;
    const produced = producedKeys(stage);
    checkStageOutput(outcome.doc, produced, stage.name);
    appendStage(outcome.doc, record({ produced: [...produced], ...outcome.record }));
    errorAfterWrite = outcome.errorAfterWrite;
    await (errorAfterWrite ? writeFailed(outcome.doc) : writeSucceeded(outcome.doc));
  } catch (thrown) {
    const error = ctx.signal.aborted ? (ctx.signal.reason as OzkitError) : toOzkitError(thrown);
    const stdout = options.stdout ?? process.stdout;
    // A failure document is for the next stage in a pipe (or --out), not for a person's terminal.
    if (options.out !== undefined || !(stdout as { isTTY?: boolean }).isTTY) {
      const failure: Failure = {
        ...evidenceOf(thrown),
        stage: ctx.tool,
        code: error.code,
        message: error.message,
        exitCode: error.exitCode,
        ...(error.hint ? { hint: error.hint } : {}),
      };
      // A stage that reads failures (ppm2png) keeps the failure it was given: that one stopped the build.
      if (doc.failure === undefined) doc.failure = failure;
      appendStage(doc, record({ failed: true }));
      try {
        await writeFailed(doc);
      } catch {
        // The original error matters more than a closed pipe.
      }
    }
    throw thrown;
  }
  if (errorAfterWrite) throw errorAfterWrite;
}

/** Where `--out FILE` puts the document of a run that failed: `x.json` → `x.failed.json`. */
export function failedDocumentPath(out: string): string {
  const name = basename(out);
  if (name.endsWith('.failed.json')) return out;
  return join(dirname(out), name.endsWith('.json') ? `${name.slice(0, -'.json'.length)}.failed.json` : `${name}.failed.json`);
}

/** Why a stage did not run on a failed document, with the exit code the failure recorded (never 0). */
function earlierFailure(doc: BuildDocument): OzkitError {
  const problems = documentProblems(doc, ['failure']);
  if (problems.length > 0) {
    const p = problems[0];
    return new OzkitError('BAD_DOCUMENT', `not run: the document records a failure, but ${p.path}: ${p.message} (${writerOf(doc, 'failure')})`, {
      hint: 'a failure document always stops the pipeline; fix or rerun the stage that failed',
    });
  }
  const failure = doc.failure!;
  return new OzkitError('BAD_DOCUMENT', `not run: ${failure.stage} failed earlier: ${failure.message.split('\n')[0]}`, {
    exitCode: failure.exitCode as ExitCodeValue,
  });
}
