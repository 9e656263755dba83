import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Random access to the input bytes. pnmtopng decides the PNG layout (palette, bit depth) from a
 * look at the whole image before writing it, so the raster is read twice; files are re-read
 * through their descriptor, streams are kept once (in memory, or in a spill file when large).
 */
export interface ByteSource {
  readonly size: number;
  /** Copies up to `length` bytes at `position` into `into` at `offset`; returns the count. */
  readInto(into: Buffer, offset: number, length: number, position: number): number;
  close(): Promise<void>;
}

export function bufferSource(buffer: Buffer): ByteSource {
  return {
    size: buffer.length,
    readInto(into, offset, length, position) {
      const n = Math.max(0, Math.min(length, buffer.length - position));
      buffer.copy(into, offset, position, position + n);
      return n;
    },
    async close() {},
  };
}

export function fileSource(path: string): ByteSource {
  const fd = openSync(path, 'r');
  let size: number;
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw Object.assign(new Error(`EISDIR: illegal operation on a directory, read '${path}'`), { code: 'EISDIR' });
    size = st.size;
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  let closed = false;
  return {
    size,
    readInto(into, offset, length, position) {
      let total = 0;
      while (total < length && position + total < size) {
        const n = readSync(fd, into, offset + total, length - total, position + total);
        if (n === 0) break;
        total += n;
      }
      return total;
    },
    async close() {
      if (!closed) closeSync(fd);
      closed = true;
    },
  };
}

/** Above this many bytes a stream's content goes to a temporary file instead of memory. */
export const DEFAULT_SPILL_BYTES = 128 * 1024 * 1024;

/** Reads a stream to its end, keeping it once: in memory, or spilled to a temp file past `spillBytes`. */
export async function streamSource(
  stream: NodeJS.ReadableStream | AsyncIterable<Uint8Array | string>,
  options: { spillBytes?: number; signal?: AbortSignal } = {},
): Promise<ByteSource> {
  const limit = options.spillBytes ?? DEFAULT_SPILL_BYTES;
  const chunks: Buffer[] = [];
  let total = 0;
  let spill: { dir: string; handle: import('node:fs/promises').FileHandle; path: string } | undefined;
  const iterator = (stream as AsyncIterable<Uint8Array | string>)[Symbol.asyncIterator]();
  // A stalled input (a pipe whose writer hangs) must not keep an interrupt from taking effect.
  const signal = options.signal;
  let onAbort: (() => void) | undefined;
  const aborted = signal
    ? new Promise<never>((_, reject) => {
        onAbort = () => reject(signal.reason);
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      })
    : undefined;
  aborted?.catch(() => {});
  try {
    for (;;) {
      const next = aborted ? await Promise.race([iterator.next(), aborted]) : await iterator.next();
      if (next.done) break;
      const chunk = next.value;
      const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      total += buf.length;
      if (spill) {
        await spill.handle.write(buf);
      } else {
        chunks.push(buf);
        if (total > limit) {
          const dir = await mkdtemp(join(tmpdir(), 'ozkit-netpbm-'));
          const path = join(dir, 'input.pnm');
          const handle = await open(path, 'w', 0o600);
          spill = { dir, handle, path };
          for (const c of chunks) await handle.write(c);
          chunks.length = 0;
        }
      }
    }
  } catch (error) {
    // Not awaited: an iterator stuck in a read would only finish its return() after that read.
    void iterator.return?.()?.catch(() => {});
    if (spill) {
      await spill.handle.close().catch(() => {});
      await rm(spill.dir, { recursive: true, force: true });
    }
    throw error;
  } finally {
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
  if (!spill) return bufferSource(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total));
  await spill.handle.close();
  const file = fileSource(spill.path);
  const dir = spill.dir;
  return {
    size: file.size,
    readInto: file.readInto,
    async close() {
      await file.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
