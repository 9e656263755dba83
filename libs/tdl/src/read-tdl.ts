import { stat } from 'node:fs/promises';
import { readBounded, readStreamBounded } from '@ozkit/build-document';
import { resolve } from 'node:path';
import { OzkitError } from '@ozkit/errors';
import { MAX_TDL_BYTES } from './source-text.js';

/** Refusal of an input larger than a TDL may be, before it is read into memory. */
function tooLarge(label: string, size: number | string): OzkitError {
  return new OzkitError('BAD_TDL', `${label}: ${size} bytes; a TDL may be at most ${MAX_TDL_BYTES} bytes (16 MiB)`);
}

/** Reads a TDL file (at most 16 MiB); messages name it as given. A missing file is INPUT_MISSING, an unreadable one IO. */
export async function readTdlBytes(path: string, cwd = process.cwd(), signal?: AbortSignal): Promise<{ path: string; bytes: Buffer }> {
  const absolute = resolve(cwd, path);
  try {
    const st = await stat(absolute);
    if (st.isDirectory()) throw new OzkitError('INPUT_MISSING', `${path}: is a directory, not a TDL file`);
    if (st.isFile() && st.size > MAX_TDL_BYTES) throw tooLarge(path, st.size);
    // Read with a cap even for regular files: a FIFO or device reports no useful size; and
    // abortable: a FIFO nobody writes to must not outlast SIGTERM.
    const bytes = await readBounded(absolute, { maxBytes: MAX_TDL_BYTES, signal, label: path, tooLarge: (label) => tooLarge(label, `more than ${MAX_TDL_BYTES}`) });
    return { path: absolute, bytes };
  } catch (error) {
    if (error instanceof OzkitError || signal?.aborted) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new OzkitError('INPUT_MISSING', `${path}: no such file`, { hint: 'check the path of the TDL' });
    throw new OzkitError('IO', `${path}: cannot read: ${code ?? (error as Error).message}`);
  }
}

/** Reads a stream to the end, refusing more than a TDL may hold. */
export async function readCapped(stream: NodeJS.ReadableStream, label: string, signal?: AbortSignal): Promise<Buffer> {
  return readStreamBounded(stream as AsyncIterable<Buffer>, { maxBytes: MAX_TDL_BYTES, signal, label, tooLarge: (l) => tooLarge(l, `more than ${MAX_TDL_BYTES}`) });
}
