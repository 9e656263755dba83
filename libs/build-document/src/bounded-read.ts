/**
 * Every input a stage reads from a path (a document, a TDL, an --auto file, an image) is read
 * with a size cap and ends on SIGINT/SIGTERM: a FIFO nobody writes to, a writer that stalls,
 * or /dev/zero must not hold a build forever or fill memory. Opening a FIFO blocks in a
 * worker thread that an exit cannot interrupt, so an abort unblocks it by opening the write
 * end for a moment; FIFO data is then read as a socket, which can be destroyed mid-read.
 */
import { closeSync, constants, createReadStream, open as openCallback, openSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import net from 'node:net';
import { promisify } from 'node:util';
import { OzkitError } from '@ozkit/errors';

const openFd = promisify(openCallback);

export interface BoundedReadOptions {
  /** More than this many bytes is refused with `tooLarge`. */
  maxBytes: number;
  signal?: AbortSignal;
  /** How messages name the input (default: its path). */
  label?: string;
  /** The error for an input over the cap (default: BAD_DOCUMENT). */
  tooLarge?: (label: string, maxBytes: number) => OzkitError;
}

const defaultTooLarge = (label: string, maxBytes: number) => new OzkitError('BAD_DOCUMENT', `${label}: larger than ${maxBytes} bytes`);

/** Opens `path` for reading as a stream that an abort ends; FIFOs included. Errors are the system's (ENOENT…). */
export async function openBounded(path: string, signal?: AbortSignal): Promise<NodeJS.ReadableStream & { destroy(error?: Error): void }> {
  signal?.throwIfAborted();
  const st = await stat(path);
  if (st.isDirectory()) throw Object.assign(new Error(`${path}: is a directory`), { code: 'EISDIR' });
  if (!st.isFIFO()) {
    const stream = createReadStream(path, { highWaterMark: 1 << 20 });
    const onAbort = () => stream.destroy(signal!.reason as Error);
    signal?.addEventListener('abort', onAbort, { once: true });
    stream.once('close', () => signal?.removeEventListener('abort', onAbort));
    return stream;
  }
  const opening = openFd(path, constants.O_RDONLY);
  let unblock: ReturnType<typeof setInterval> | undefined;
  const onAbort = () => {
    // Retried: the worker may not be inside open() yet (ENXIO until a reader waits).
    const tryUnblock = () => {
      try {
        closeSync(openSync(path, constants.O_WRONLY | constants.O_NONBLOCK));
        clearInterval(unblock);
      } catch {
        // not yet
      }
    };
    unblock = setInterval(tryUnblock, 20);
    tryUnblock();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  let fd: number;
  try {
    fd = await opening;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    clearInterval(unblock);
  }
  if (signal?.aborted) {
    closeSync(fd);
    throw signal.reason;
  }
  const socket = new net.Socket({ fd, readable: true, writable: false });
  const onAbortRead = () => socket.destroy(signal!.reason as Error);
  signal?.addEventListener('abort', onAbortRead, { once: true });
  socket.once('close', () => signal?.removeEventListener('abort', onAbortRead));
  return socket;
}

/** Reads a stream to its end, at most `maxBytes`, ending early on abort. */
export async function readStreamBounded(stream: AsyncIterable<Buffer | string>, options: BoundedReadOptions): Promise<Buffer> {
  const label = options.label ?? '<stdin>';
  const destroy = () => (stream as { destroy?: (e?: Error) => void }).destroy?.();
  const onAbort = () => destroy();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of stream) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      total += buf.length;
      if (total > options.maxBytes) {
        destroy();
        throw (options.tooLarge ?? defaultTooLarge)(label, options.maxBytes);
      }
      chunks.push(buf);
    }
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason;
    throw error;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
  if (options.signal?.aborted) throw options.signal.reason;
  return Buffer.concat(chunks);
}

/** Reads the file (or FIFO, or device) at `path` whole, capped and abortable. */
export async function readBounded(path: string, options: BoundedReadOptions): Promise<Buffer> {
  const stream = await openBounded(path, options.signal);
  return readStreamBounded(stream as AsyncIterable<Buffer>, { ...options, label: options.label ?? path });
}
