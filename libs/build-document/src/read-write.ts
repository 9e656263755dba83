import { createWriteStream } from 'node:fs';
import { readBounded, readStreamBounded } from './bounded-read.js';
import { rename, rm } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { OzkitError } from '@ozkit/errors';
import { DOCUMENT_VERSION, type BuildDocument, type StageRecord } from './types.js';

/** The largest document accepted: inventories are big, but not this big. */
const MAX_DOCUMENT_BYTES = 64 * 1024 * 1024;

export interface ReadOptions {
  /** A file to read instead of stdin. */
  in?: string;
  stdin?: AsyncIterable<Buffer | string> & { isTTY?: boolean };
  /** How errors name stdin (default `<stdin>`): ppm2png passes the FIFO it read. */
  label?: string;
  /** No document on stdin (a terminal, or empty input) starts a new one instead of being an error. */
  emptyStartsNew?: boolean;
  /** Ends the read (SIGINT/SIGTERM): a FIFO without a writer, or a stalled pipe, must not hold the stage. */
  signal?: AbortSignal;
}

const tooLargeDocument = (label: string, maxBytes: number) => new OzkitError('BAD_DOCUMENT', `${label}: build document larger than ${maxBytes} bytes`);

/**
 * The offset of the first character JSON.parse rejects. Node 20's messages do not always carry a
 * position, so find the shortest prefix whose error is not "unexpected end" (prefixes before the
 * bad character only ever end early).
 */
function jsonErrorOffset(text: string): number {
  const failsBeforeEnd = (n: number) => {
    try {
      JSON.parse(text.slice(0, n));
      return false;
    } catch (error) {
      const message = (error as Error).message;
      const at = /at position (\d+)/.exec(message);
      if (at) return Number(at[1]) < n;
      return !/end of JSON input|Unterminated/.test(message);
    }
  };
  let lo = 1;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (failsBeforeEnd(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo - 1;
}

/** Parses and checks a build document's envelope; `label` names its source in errors. */
export function parseBuildDocument(text: string, label: string): BuildDocument {
  const trimmed = text.trim();
  if (trimmed === '')
    throw new OzkitError('BAD_DOCUMENT', `${label}: no build document (empty input)`, {
      hint: 'pipe the output of the previous stage in, e.g. `tdl-validate x.tdl | ks-render`',
    });
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch (error) {
    const pos = jsonErrorOffset(trimmed);
    const before = trimmed.slice(0, pos);
    const where = `:${before.split('\n').length}:${pos - before.lastIndexOf('\n')}`;
    throw new OzkitError('BAD_DOCUMENT', `${label}${where}: not a build document: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new OzkitError('BAD_DOCUMENT', `${label}: not a build document: expected a JSON object`);
  const doc = value as Record<string, unknown>;
  if (!('ozkit' in doc)) throw new OzkitError('BAD_DOCUMENT', `${label}: not a build document: no "ozkit" version key`);
  if (doc.ozkit !== DOCUMENT_VERSION)
    throw new OzkitError(
      'BAD_DOCUMENT',
      `${label}: build document version ${JSON.stringify(doc.ozkit)} is not supported (this ozkit reads version ${DOCUMENT_VERSION})`,
      {
        hint: 'use the same ozkit release for every stage of a pipeline',
      },
    );
  if (doc.stages !== undefined && !Array.isArray(doc.stages)) throw new OzkitError('BAD_DOCUMENT', `${label}: "stages" must be an array`);
  if (doc.stages === undefined) doc.stages = [];
  return doc as BuildDocument;
}

/** Reads the document from `--in FILE` or stdin. Refuses a TTY on stdin instead of waiting. */
export async function readBuildDocument(options: ReadOptions = {}): Promise<BuildDocument> {
  if (options.in !== undefined && options.in !== '-') {
    let text: string;
    try {
      text = (await readBounded(options.in, { maxBytes: MAX_DOCUMENT_BYTES, signal: options.signal, tooLarge: tooLargeDocument })).toString('utf8');
    } catch (error) {
      if (error instanceof OzkitError || options.signal?.aborted) throw error;
      throw new OzkitError('INPUT_MISSING', `${options.in}: cannot read build document: ${(error as Error).message}`);
    }
    return parseBuildDocument(text, options.in);
  }
  const stdin = options.stdin ?? process.stdin;
  if ((stdin as { isTTY?: boolean }).isTTY && options.emptyStartsNew) return newBuildDocument();
  if ((stdin as { isTTY?: boolean }).isTTY)
    throw new OzkitError('TTY_INPUT', 'expected a build document on stdin, but stdin is a terminal', {
      hint: 'pipe the previous stage in (`tdl-validate x.tdl | …`) or pass --in FILE',
    });
  const label = options.label ?? '<stdin>';
  const text = (await readStreamBounded(stdin, { maxBytes: MAX_DOCUMENT_BYTES, signal: options.signal, label, tooLarge: tooLargeDocument })).toString('utf8');
  if (options.emptyStartsNew && text.trim() === '') return newBuildDocument();
  return parseBuildDocument(text, label);
}

export function newBuildDocument(): BuildDocument {
  return { ozkit: DOCUMENT_VERSION, stages: [] };
}

export function serializeBuildDocument(doc: BuildDocument): string {
  return JSON.stringify(doc) + '\n';
}

export interface WriteOptions {
  /** A file to write instead of stdout (written atomically). */
  out?: string;
  stdout?: NodeJS.WritableStream;
}

/** Writes the document as one line; to `--out` atomically (temp file + rename), else stdout. */
export async function writeBuildDocument(doc: BuildDocument, options: WriteOptions = {}): Promise<void> {
  const text = serializeBuildDocument(doc);
  if (options.out !== undefined && options.out !== '-') {
    const tmp = join(dirname(options.out), `.${basename(options.out)}.${process.pid}.tmp`);
    try {
      await new Promise<void>((resolve, reject) => {
        const ws = createWriteStream(tmp, { mode: 0o644 });
        ws.on('error', reject);
        ws.end(text, () => resolve());
      });
      await rename(tmp, options.out);
    } catch (error) {
      await rm(tmp, { force: true });
      throw new OzkitError('IO', `${options.out}: cannot write build document: ${(error as Error).message}`);
    }
    return;
  }
  const stdout = options.stdout ?? process.stdout;
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => reject(new OzkitError('IO', `cannot write build document to stdout: ${error.message}`));
    stdout.once('error', onError);
    stdout.write(text, (error) => {
      stdout.off('error', onError);
      if (error) onError(error);
      else resolve();
    });
  });
}

/** Appends this stage's record; returns the document for chaining. */
export function appendStage(doc: BuildDocument, record: StageRecord): BuildDocument {
  doc.stages = [...(doc.stages ?? []), record];
  return doc;
}

/** Throws a clear error when a stage's required input key is missing. */
export function requireKey<K extends keyof BuildDocument>(doc: BuildDocument, key: K, producer: string): NonNullable<BuildDocument[K]> {
  const value = doc[key];
  if (value === undefined || value === null)
    throw new OzkitError('BAD_DOCUMENT', `build document has no "${String(key)}"`, {
      hint: `run ${producer} earlier in the pipeline`,
    });
  return value as NonNullable<BuildDocument[K]>;
}
