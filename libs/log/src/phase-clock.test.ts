import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { Logger, PhaseClock } from './index.js';

function capture(format: 'json' | 'text') {
  const s = new PassThrough();
  let text = '';
  s.on('data', (c) => (text += c));
  return {
    logger: new Logger({ tool: 'guest-customize', format, stream: s }),
    events: () =>
      text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l)),
    text: () => text,
  };
}

describe('PhaseClock', () => {
  it('emits one start and one end per phase, in order, each end with seconds and ok', async () => {
    const out = capture('json');
    const phases = new PhaseClock(out.logger);
    phases.enter('image-copy');
    await phases.run('boot-to-sshd', () => new Promise((r) => setTimeout(r, 120)));
    await expect(phases.run('seal', async () => Promise.reject(new Error('no')))).rejects.toThrow('no');
    phases.enter('power-off');
    phases.enter('power-off');
    phases.end();
    phases.end();
    const events = out.events();
    expect(events.map((e) => `${e.event} ${e.phase}${e.event === 'phase-end' ? ` ${e.ok}` : ''}`)).toEqual([
      'phase-start image-copy',
      'phase-end image-copy true',
      'phase-start boot-to-sshd',
      'phase-end boot-to-sshd true',
      'phase-start seal',
      'phase-end seal false',
      'phase-start power-off',
      'phase-end power-off true',
    ]);
    expect(events.every((e) => e.tool === 'guest-customize' && typeof e.time === 'string')).toBe(true);
    const boot = events.find((e) => e.event === 'phase-end' && e.phase === 'boot-to-sshd');
    expect(boot.seconds).toBeGreaterThanOrEqual(0.1);
    expect(phases.phase).toBeUndefined();
  });

  it('says nothing in text mode', async () => {
    const out = capture('text');
    await new PhaseClock(out.logger).run('compression', async () => 1);
    expect(out.text()).toBe('');
  });
});
