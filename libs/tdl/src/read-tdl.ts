import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import { OzkitError } from '@ozkit/errors';
import { MAX_TDL_BYTES } from './source-text.js';

/** Refusal of an input larger than a TDL may be, before it is read into memory. */
function tooLarge(label: string, size: number | string): OzkitError {
  return new OzkitError('BAD_TDL', `${label}: ${size} bytes; a TDL may be at most ${MAX_TDL_BYTES} bytes (16 MiB)`);
}

/** Reads a TDL file (at most 16 MiB); messages name it as given. A missing file is INPUT_MISSING, an unreadable one IO. */
export async function readTdlBytes(path: string, cwd = process.cwd()): Promise<{ path: string; bytes: Buffer }> {
  const absolute = resolve(cwd, path);
  let handle;
  try {
    handle = await open(absolute, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new OzkitError('INPUT_MISSING', `${path}: no such file`, { hint: 'check the path of the TDL' });
    throw new OzkitError('IO', `${path}: cannot open: ${code ?? (error as Error).message}`);
  }
  try {
    const stat = await handle.stat();
    if (stat.isDirectory()) throw new OzkitError('INPUT_MISSING', `${path}: is a directory, not a TDL file`);
    if (stat.isFile() && stat.size > MAX_TDL_BYTES) throw tooLarge(path, stat.size);
    // Read with a cap even for regular files: a FIFO or device reports no useful size.
    const bytes = await readCapped(handle.createReadStream({ autoClose: false }), path);
    return { path: absolute, bytes };
  } catch (error) {
    if (error instanceof OzkitError) throw error;
    throw new OzkitError('IO', `${path}: cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  } finally {
    await handle.close();
  }
}

/** Reads a stream to the end, refusing more than a TDL may hold. */
export async function readCapped(stream: NodeJS.ReadableStream, label: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    total += buf.length;
    if (total > MAX_TDL_BYTES) {
      (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      throw tooLarge(label, `more than ${MAX_TDL_BYTES}`);
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}
