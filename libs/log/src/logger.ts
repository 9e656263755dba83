/**
 * Everything for people goes to stderr: plain `tool: message` lines, or NDJSON events
 * with `--log-format json` (one object per line, for machines and CI logs).
 */

import { redactUrls } from './url-redaction.js';

export type LogFormat = 'text' | 'json';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LoggerOptions {
  tool: string;
  format?: LogFormat;
  /** -1 quiet (errors only), 0 normal, 1+ verbose (debug). */
  verbosity?: number;
  stream?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** How often a long wait writes a status line when stderr is not a terminal (default 30 s, or OZKIT_STATUS_INTERVAL). */
  statusIntervalMs?: number;
}

export const DEFAULT_STATUS_INTERVAL_MS = 30_000;

/**
 * OZKIT_STATUS_INTERVAL: seconds between status lines of long waits in a CI log (tests make it
 * short). Unset or not a positive number: the default 30 s.
 */
export function statusIntervalFromEnv(env: NodeJS.ProcessEnv): number {
  const raw = env.OZKIT_STATUS_INTERVAL;
  const seconds = raw === undefined ? Number.NaN : Number(raw);
  return Number.isFinite(seconds) && seconds > 0 ? Math.max(10, Math.round(seconds * 1000)) : DEFAULT_STATUS_INTERVAL_MS;
}

/**
 * Text for a terminal with its control characters made visible (`\x1b`): messages carry text
 * from documents, TDLs and guests, and an escape sequence there must not drive the terminal.
 * Tabs and newlines stay; a CR before a newline (serial consoles) is dropped.
 */
export function escapeControl(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\r\n/g, '\n').replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

export class Logger {
  readonly tool: string;
  readonly format: LogFormat;
  readonly verbosity: number;
  readonly stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly statusIntervalMs: number;
  /** Set by a live progress bar so a log line first clears the bar's line. */
  private liveLine: { clear(): void; redraw(): void } | undefined;

  constructor(options: LoggerOptions) {
    this.tool = options.tool;
    this.format = options.format ?? 'text';
    this.verbosity = options.verbosity ?? 0;
    this.stream = options.stream ?? process.stderr;
    this.statusIntervalMs = options.statusIntervalMs ?? statusIntervalFromEnv(process.env);
  }

  get isTTY(): boolean {
    return Boolean(this.stream.isTTY) && this.format === 'text';
  }

  debug(message: string, data?: Record<string, unknown>): void {
    if (this.verbosity >= 1) this.log('debug', message, data);
  }

  info(message: string, data?: Record<string, unknown>): void {
    if (this.verbosity >= 0) this.log('info', message, data);
  }

  warn(message: string, data?: Record<string, unknown>): void {
    if (this.verbosity >= 0) this.log('warn', message, data);
  }

  error(message: string, data?: Record<string, unknown>): void {
    this.log('error', message, data);
  }

  /** A machine event (progress, step started…): NDJSON only; text mode shows nothing. */
  event(type: string, data: Record<string, unknown> = {}): void {
    if (this.format !== 'json') return;
    this.writeRaw(JSON.stringify({ time: new Date().toISOString(), tool: this.tool, event: type, ...data }) + '\n');
  }

  /** Raw text for people (e.g. a streamed console), text mode only. */
  passthrough(text: string): void {
    if (this.format === 'json') {
      this.event('output', { text });
      return;
    }
    this.writeRaw(escapeControl(text));
  }

  log(level: LogLevel, message: string, data?: Record<string, unknown>): void {
    if (this.format === 'json') {
      this.writeRaw(JSON.stringify({ time: new Date().toISOString(), tool: this.tool, level, msg: message, ...(data ?? {}) }) + '\n');
      return;
    }
    const prefix = level === 'warn' ? `${this.tool}: warning: ` : level === 'debug' ? `${this.tool}: debug: ` : `${this.tool}: `;
    this.writeRaw(
      escapeControl(message)
        .split('\n')
        .map((line) => prefix + line)
        .join('\n') + '\n',
    );
  }

  attachLiveLine(live: { clear(): void; redraw(): void } | undefined): void {
    this.liveLine = live;
  }

  private writeRaw(text: string): void {
    const live = this.liveLine;
    live?.clear();
    this.stream.write(redactUrls(text));
    live?.redraw();
  }
}

/** A logger that discards everything (for stage functions called from tests). */
export function silentLogger(tool = 'ozkit'): Logger {
  const sink = { write: () => true, isTTY: false } as unknown as NodeJS.WritableStream;
  return new Logger({ tool, stream: sink, verbosity: -1 });
}
