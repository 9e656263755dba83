import { open, type FileHandle } from 'node:fs/promises';
import { EventEmitter } from 'node:events';
import { OzkitError } from '@ozkit/errors';

// CSI/OSC escape sequences and other terminal control bytes that installers (newt, dialog) paint with.
// eslint-disable-next-line no-control-regex
const ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][A-Za-z0-9]|\x1b[=>78cDEHMNOZ]/g;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f]/g;

/** A console line made readable: escapes and control bytes removed, trailing blanks trimmed. */
export function cleanConsoleLine(raw: string): string {
  return raw.replace(ESCAPES, '').replace(CONTROL, '').trimEnd();
}

export interface SerialConsoleOptions {
  /** Lines kept in memory for tail(). Default 500. */
  keepLines?: number;
  pollMs?: number;
}

/**
 * Follows the file QEMU writes the guest's serial console to: complete lines (cleaned) as
 * 'line' events / onLine callbacks, raw text as 'data', the last lines for failure reports.
 */
export class SerialConsole extends EventEmitter {
  readonly path: string;
  private readonly keep: number;
  private readonly pollMs: number;
  private readonly lines: string[] = [];
  private partial = '';
  private offset = 0;
  private handle: FileHandle | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reading: Promise<void> | undefined;
  private stopped = false;
  private decoder = new TextDecoder('utf-8', { fatal: false });
  totalBytes = 0;

  constructor(path: string, options: SerialConsoleOptions = {}) {
    super();
    this.path = path;
    this.keep = options.keepLines ?? 500;
    this.pollMs = options.pollMs ?? 100;
  }

  /** Starts following (the file may not exist yet). */
  start(): void {
    if (this.timer || this.stopped) return;
    this.timer = setInterval(() => void this.poll(), this.pollMs);
    this.timer.unref();
  }

  /** Reads what is left and stops following; the unfinished last line counts as a line. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.poll();
    this.stopped = true;
    if (this.partial) {
      this.pushLine(this.partial);
      this.partial = '';
    }
    await this.handle?.close().catch(() => undefined);
    this.handle = undefined;
  }

  /** The last n lines (cleaned, without empty ones). */
  tail(n = 40): string[] {
    const all = this.partial && cleanConsoleLine(this.partial) ? [...this.lines, cleanConsoleLine(this.partial)] : this.lines;
    return all.slice(-n);
  }

  get lastLine(): string | undefined {
    return this.tail(1)[0];
  }

  onLine(callback: (line: string) => void): () => void {
    this.on('line', callback);
    return () => this.off('line', callback);
  }

  /** Resolves with the first line (from now on, or already kept) matching `pattern`. */
  waitFor(pattern: RegExp | string, timeoutMs: number, options: { includePast?: boolean; signal?: AbortSignal } = {}): Promise<string> {
    const test = (line: string) => (typeof pattern === 'string' ? line.includes(pattern) : pattern.test(line));
    // A prompt ("login: ") has no newline yet: the unfinished last line is tested too.
    const pending = () => cleanConsoleLine(this.partial);
    if (options.includePast !== false) {
      const past = this.lines.find(test) ?? (test(pending()) ? pending() : undefined);
      if (past !== undefined) return Promise.resolve(past);
    }
    return new Promise((resolve, reject) => {
      const onLine = (line: string) => {
        if (!test(line)) return;
        cleanup();
        resolve(line);
      };
      const onData = () => {
        const line = pending();
        if (line && test(line)) onLine(line);
      };
      const onAbort = () => {
        cleanup();
        reject(options.signal!.reason);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new OzkitError('TIMEOUT', `console did not show ${String(pattern)} within ${Math.round(timeoutMs / 1000)} s`, {
            details: { consoleTail: this.tail(40) },
          }),
        );
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.off('line', onLine);
        this.off('data', onData);
        options.signal?.removeEventListener('abort', onAbort);
      };
      this.on('line', onLine);
      this.on('data', onData);
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** One poll: reads everything appended since the last one. Serialised so lines keep their order. */
  poll(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const previous = this.reading ?? Promise.resolve();
    this.reading = previous
      .then(() => this.readMore())
      .catch((error) => {
        this.emit('read-error', error);
      });
    return this.reading;
  }

  private async readMore(): Promise<void> {
    if (!this.handle) {
      try {
        this.handle = await open(this.path, 'r');
      } catch {
        return;
      }
    }
    const buffer = Buffer.allocUnsafe(64 * 1024);
    for (;;) {
      const { bytesRead } = await this.handle.read(buffer, 0, buffer.length, this.offset);
      if (bytesRead === 0) return;
      this.offset += bytesRead;
      this.totalBytes += bytesRead;
      const text = this.decoder.decode(buffer.subarray(0, bytesRead), { stream: true });
      this.consume(text);
      this.emit('data', text);
    }
  }

  private consume(text: string): void {
    const parts = (this.partial + text).split(/\r\n|\n|\r/);
    this.partial = parts.pop() ?? '';
    for (const part of parts) this.pushLine(part);
  }

  private pushLine(raw: string): void {
    const line = cleanConsoleLine(raw);
    if (!line) return;
    this.lines.push(line);
    if (this.lines.length > this.keep) this.lines.splice(0, this.lines.length - this.keep);
    this.emit('line', line);
  }
}
