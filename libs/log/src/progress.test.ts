import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { Logger, ProgressBar, formatBytes, formatDuration } from './index.js';

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
    const events = out.text().trim().split('\n').map((l) => JSON.parse(l));
    expect(events.map((e) => e.event)).toEqual(['progress-start', 'progress', 'progress-end']);
    expect(events[1]).toMatchObject({ tool: 't', label: 'dl', current: 5, total: 10, status: 'half' });
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
  });
});
