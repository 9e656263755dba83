import { escapeControl } from './logger.js';
import { redactUrls } from './url-redaction.js';
import type { Logger } from './logger.js';

export interface ProgressOptions {
  /** What is progressing, e.g. "download CentOS-7-x86_64-DVD.iso". */
  label: string;
  /** Total units (bytes), if known. */
  total?: number;
  /** Units are bytes (formats as MiB/s), plain counts, or none (a wait: only the time counts). */
  unit?: 'bytes' | 'count' | 'none';
  /** How often NDJSON progress events may be written on update(), ms. */
  eventIntervalMs?: number;
  /** What happens to the units, for the status line: "612.0 MiB written" (default "done"). */
  verb?: string;
  /** What the status text is, for the status line: "console: <line>". */
  statusLabel?: string;
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i++;
  }
  return `${i === 0 ? value.toFixed(0) : value.toFixed(1)} ${units[i]}`;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const mm = String(m).padStart(2, '0');
  const ss = String(sec).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** Elapsed time in a CI log line: 45s, 3m00s, 1h02m03s. */
export function formatElapsed(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  if (h > 0) return `${h}h${String(m).padStart(2, '0')}m${sec}s`;
  return m > 0 ? `${m}m${sec}s` : `${s % 60}s`;
}

/**
 * A progress line that draws only when stderr is a TTY (text format) and emits throttled
 * NDJSON `progress` events with --log-format json. When nobody watches a terminal (CI logs),
 * a status line (`tool: installing: 3m00s, 612.0 MiB written, console: …`; with json a
 * `progress` event carrying it) comes every `logger.statusIntervalMs`, whether or not update()
 * was called, so a long wait is never silent.
 */
export class ProgressBar {
  private readonly logger: Logger;
  private readonly options: ProgressOptions;
  private readonly startedAt = Date.now();
  private current = 0;
  private status = '';
  private lastDraw = 0;
  private lastEvent = 0;
  private drawn = false;
  private finished = false;
  private ticker: ReturnType<typeof setInterval> | undefined;

  constructor(logger: Logger, options: ProgressOptions) {
    this.logger = logger;
    this.options = options;
    if (this.logger.isTTY) this.logger.attachLiveLine(this);
    else {
      this.ticker = setInterval(() => this.reportStatus(), logger.statusIntervalMs);
      // A forgotten done() must not keep the process alive.
      this.ticker.unref?.();
    }
    this.logger.event('progress-start', { label: options.label, total: options.total ?? null });
  }

  /** Sets the absolute amount done and an optional status text (e.g. the last console line). */
  update(current: number, status?: string): void {
    this.current = current;
    if (status !== undefined) this.status = status;
    const now = Date.now();
    if (this.logger.isTTY && now - this.lastDraw >= 100) {
      this.lastDraw = now;
      this.redraw();
    }
    const interval = this.options.eventIntervalMs ?? 1000;
    if (this.logger.format === 'json' && now - this.lastEvent >= interval) {
      this.lastEvent = now;
      this.logger.event('progress', this.snapshot());
    }
  }

  add(delta: number): void {
    this.update(this.current + delta);
  }

  snapshot(): Record<string, unknown> {
    const elapsed = (Date.now() - this.startedAt) / 1000;
    const rate = elapsed > 0 ? this.current / elapsed : 0;
    const total = this.options.total;
    const eta = total !== undefined && rate > 0 ? (total - this.current) / rate : null;
    return {
      label: this.options.label,
      current: this.current,
      total: total ?? null,
      elapsed: Math.round(elapsed * 10) / 10,
      rate: Math.round(rate),
      eta: eta === null ? null : Math.round(eta),
      ...(this.status ? { status: this.status } : {}),
    };
  }

  /** The status line's text: `installing: 3m00s, 612.0 MiB written, console: …`. */
  statusLine(): string {
    const elapsed = (Date.now() - this.startedAt) / 1000;
    const parts = [formatElapsed(elapsed)];
    const unit = this.options.unit ?? 'bytes';
    const verb = this.options.verb ?? 'done';
    const total = this.options.total;
    if (unit !== 'none') {
      const fmt = (n: number) => (unit === 'bytes' ? formatBytes(n) : String(n));
      parts.push(
        total !== undefined && total > 0
          ? `${fmt(this.current)} of ${fmt(total)} ${verb} (${Math.min(100, (this.current / total) * 100).toFixed(0)}%)`
          : `${fmt(this.current)} ${verb}`,
      );
    }
    if (this.status) parts.push(this.options.statusLabel ? `${this.options.statusLabel}: ${this.status}` : this.status);
    return `${this.options.label}: ${parts.join(', ')}`;
  }

  private reportStatus(): void {
    if (this.finished) return;
    if (this.logger.format === 'json') this.logger.event('progress', { ...this.snapshot(), message: this.statusLine() });
    else this.logger.info(this.statusLine());
  }

  render(width: number): string {
    const elapsed = (Date.now() - this.startedAt) / 1000;
    const bytes = (this.options.unit ?? 'bytes') === 'bytes';
    const fmt = (n: number) => (bytes ? formatBytes(n) : String(n));
    const rate = elapsed > 0 ? this.current / elapsed : 0;
    const total = this.options.total;
    let text = `${this.options.label} `;
    if (total !== undefined && total > 0) {
      const fraction = Math.min(1, this.current / total);
      const barWidth = 20;
      const filled = Math.round(fraction * barWidth);
      const eta = rate > 0 ? (total - this.current) / rate : Number.NaN;
      text += `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}] ${(fraction * 100).toFixed(0)}% ${fmt(this.current)}/${fmt(total)}`;
      text += ` ${bytes ? formatBytes(rate) + '/s' : ''} ETA ${formatDuration(eta)}`;
    } else if (this.options.unit === 'none') {
      text += formatDuration(elapsed);
    } else {
      text += `${formatDuration(elapsed)} ${fmt(this.current)}${bytes ? ` (${formatBytes(rate)}/s)` : ''}`;
    }
    if (this.status) text += ` | ${this.status}`;
    return text.length > width ? text.slice(0, Math.max(0, width - 1)) : text;
  }

  clear(): void {
    if (!this.drawn) return;
    this.logger.stream.write('\r\x1b[2K');
    this.drawn = false;
  }

  redraw(): void {
    if (this.finished || !this.logger.isTTY) return;
    const width = this.logger.stream.columns ?? 80;
    this.logger.stream.write('\r\x1b[2K' + redactUrls(escapeControl(this.render(width))));
    this.drawn = true;
  }

  /** Removes the bar and writes a final event; safe to call twice. */
  done(summary?: string): void {
    if (this.finished) return;
    this.clear();
    this.finished = true;
    if (this.ticker) clearInterval(this.ticker);
    this.logger.attachLiveLine(undefined);
    this.logger.event('progress-end', this.snapshot());
    if (summary) this.logger.info(summary);
  }
}
