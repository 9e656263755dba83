/** What arrived on stdin (or in the IN file): a netpbm image or a build document. */
export type InputKind = 'netpbm' | 'document' | 'unknown';

/** Netpbm starts with `P1`–`P6`; a build document is JSON, so `{` after optional whitespace or a BOM. */
export function sniffInput(head: Uint8Array): InputKind {
  if (head.length >= 2 && head[0] === 0x50 && head[1] >= 0x31 && head[1] <= 0x37) return 'netpbm';
  let i = 0;
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) i = 3;
  while (i < head.length && (head[i] === 0x20 || head[i] === 0x09 || head[i] === 0x0a || head[i] === 0x0d)) i++;
  if (head[i] === 0x7b) return 'document';
  return 'unknown';
}

/** The first chunk of a stream, and the whole stream again (first chunk included) to read on. */
export async function peekStream(stream: NodeJS.ReadableStream): Promise<{ head: Buffer; all: AsyncIterable<Buffer> }> {
  const iterator = (stream as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  const first = await iterator.next();
  const head = first.done ? Buffer.alloc(0) : Buffer.isBuffer(first.value) ? first.value : Buffer.from(first.value, 'latin1');
  async function* all(): AsyncIterable<Buffer> {
    try {
      if (head.length > 0) yield head;
      if (first.done) return;
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        yield Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value, 'latin1');
      }
    } finally {
      // Stopping early (an error, an interrupt) releases the stream, so the process can exit.
      await iterator.return?.();
    }
  }
  return { head, all: all() };
}
