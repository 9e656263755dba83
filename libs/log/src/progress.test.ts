import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PassThrough } from 'node:stream';
import { Logger, ProgressBar, formatBytes, formatDuration, formatElapsed, statusIntervalFromEnv } from './index.js';

function stream(isTTY: boolean) {
  const s = Object.assign(new PassThrough(), { isTTY, columns: 100 });
  let text = '';
  s.on('data', (c) => (text += c));
  return { s, text: () => text };
}

describe('ProgressBar', () => {
  it('draws nothing when stderr is not a terminal', () => {
    const out = stream(false);
    const bar = new ProgressBar(new Logger({ tool: 't', stream: out.s }), { label: 'download', total: 100 });
    bar.update(50);
    bar.done();
    expect(out.text()).toBe('');
  });

  it('draws a bar with percentage on a terminal and clears it for log lines', () => {
    const out = stream(true);
    const logger = new Logger({ tool: 't', stream: out.s });
    const bar = new ProgressBar(logger, { label: 'download', total: 1024 * 1024 });
    bar.update(512 * 1024);
    expect(out.text()).toMatch(/download \[#{10}-{10}\] 50% 512\.0 KiB\/1\.0 MiB/);
    logger.info('hello');
    // eslint-disable-next-line no-control-regex
    expect(out.text()).toMatch(/\r\x1b\[2Kt: hello\n\r\x1b\[2Kdownload/);
    bar.done();
  });

  it('emits NDJSON progress events in json mode', () => {
    const out = stream(false);
    const bar = new ProgressBar(new Logger({ tool: 't', format: 'json', stream: out.s }), { label: 'dl', total: 10, eventIntervalMs: 0 });
    bar.update(5, 'half');
    bar.done();
    const events = out
      .text()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(events.map((e) => e.event)).toEqual(['progress-start', 'progress', 'progress-end']);
    expect(events[1]).toMatchObject({ tool: 't', label: 'dl', current: 5, total: 10, status: 'half' });
  });
});

describe('status lines when stderr is not a terminal (CI logs)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2026-01-01T00:00:00Z'));
  });
  afterEach(() => vi.useRealTimers());

  const lines = (text: string) => text.split('\n').filter(Boolean);

  it('writes one line per interval, whether or not update() is called, with elapsed time, bytes and the console', () => {
    const out = stream(false);
    const logger = new Logger({ tool: 'guest-install', stream: out.s, statusIntervalMs: 30_000 });
    const bar = new ProgressBar(logger, { label: 'installing', verb: 'written', statusLabel: 'console' });
    vi.advanceTimersByTime(29_999);
    expect(out.text()).toBe('');
    bar.update(612 * 1024 * 1024, 'Installing the base system');
    vi.advanceTimersByTime(1);
    expect(lines(out.text())).toEqual(['guest-install: installing: 30s, 612.0 MiB written, console: Installing the base system']);
    // Updates between ticks do not add lines; a silent stretch still gets its line.
    for (let i = 0; i < 100; i++) bar.update(700 * 1024 * 1024);
    vi.advanceTimersByTime(30_000);
    vi.advanceTimersByTime(120_000);
    const all = lines(out.text());
    expect(all).toHaveLength(6);
    expect(all[5]).toBe('guest-install: installing: 3m00s, 700.0 MiB written, console: Installing the base system');
    bar.done();
    vi.advanceTimersByTime(120_000);
    expect(lines(out.text())).toHaveLength(6);
  });

  it('says how much of a known total is done, and only the time for a plain wait', () => {
    const out = stream(false);
    const logger = new Logger({ tool: 'iso-fetch', stream: out.s, statusIntervalMs: 30_000 });
    const download = new ProgressBar(logger, { label: 'downloading x.iso', total: 400 * 1024 * 1024, verb: 'downloaded' });
    const wait = new ProgressBar(logger, { label: 'waiting for SSH', unit: 'none', statusLabel: 'console' });
    download.update(100 * 1024 * 1024);
    vi.advanceTimersByTime(30_000);
    expect(lines(out.text())).toEqual(['iso-fetch: downloading x.iso: 30s, 100.0 MiB of 400.0 MiB downloaded (25%)', 'iso-fetch: waiting for SSH: 30s']);
    download.done();
    wait.update(0, 'login:');
    vi.advanceTimersByTime(3600_000);
    expect(lines(out.text()).at(-1)).toBe('iso-fetch: waiting for SSH: 1h00m30s, console: login:');
    wait.done();
  });

  it('follows the logger interval (OZKIT_STATUS_INTERVAL for tests)', () => {
    expect(statusIntervalFromEnv({})).toBe(30_000);
    expect(statusIntervalFromEnv({ OZKIT_STATUS_INTERVAL: '2' })).toBe(2000);
    expect(statusIntervalFromEnv({ OZKIT_STATUS_INTERVAL: '0.5' })).toBe(500);
    expect(statusIntervalFromEnv({ OZKIT_STATUS_INTERVAL: 'soon' })).toBe(30_000);
    expect(statusIntervalFromEnv({ OZKIT_STATUS_INTERVAL: '-1' })).toBe(30_000);
    const out = stream(false);
    const bar = new ProgressBar(new Logger({ tool: 't', stream: out.s, statusIntervalMs: 2000 }), { label: 'compressing', unit: 'none' });
    vi.advanceTimersByTime(10_000);
    expect(lines(out.text())).toEqual(['t: compressing: 2s', 't: compressing: 4s', 't: compressing: 6s', 't: compressing: 8s', 't: compressing: 10s']);
    bar.done();
  });

  it('is the same as NDJSON progress events with --log-format json', () => {
    const out = stream(false);
    const bar = new ProgressBar(new Logger({ tool: 'guest-install', format: 'json', stream: out.s, statusIntervalMs: 30_000 }), {
      label: 'installing',
      verb: 'written',
      statusLabel: 'console',
    });
    bar.update(1024 * 1024, 'Configuring apt');
    vi.advanceTimersByTime(60_000);
    const events = out
      .text()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const ticks = events.filter((e) => e.event === 'progress' && e.message);
    expect(ticks.map((e) => e.message)).toEqual([
      'installing: 30s, 1.0 MiB written, console: Configuring apt',
      'installing: 1m00s, 1.0 MiB written, console: Configuring apt',
    ]);
    expect(ticks[1]).toMatchObject({ tool: 'guest-install', label: 'installing', current: 1024 * 1024, elapsed: 60, status: 'Configuring apt' });
    bar.done();
  });

  it('writes no status lines on a terminal: the bar stays', () => {
    const out = stream(true);
    const bar = new ProgressBar(new Logger({ tool: 't', stream: out.s, statusIntervalMs: 30_000 }), { label: 'installing' });
    vi.advanceTimersByTime(120_000);
    expect(out.text()).not.toMatch(/t: installing/);
    bar.done();
  });
});

describe('formatting', () => {
  it('formats sizes and durations', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(10 * 1024 ** 3)).toBe('10.0 GiB');
    expect(formatDuration(59)).toBe('00:59');
    expect(formatDuration(3661)).toBe('1:01:01');
    expect(formatDuration(Number.NaN)).toBe('--:--');
    expect(formatElapsed(9.7)).toBe('9s');
    expect(formatElapsed(180)).toBe('3m00s');
    expect(formatElapsed(3723)).toBe('1h02m03s');
  });
});
