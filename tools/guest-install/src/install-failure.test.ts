import { describe, expect, test } from 'vitest';
import { exitCodeFor } from '@ozkit/errors';
import { formatWatchdog, installFailure } from './install-failure.js';

const facts = {
  headline: 'no disk activity for 300 s',
  seconds: 412.4,
  consoleLog: '/w/install-console.log',
  consoleTail: ['Download installer components', 'Retrieving anna'],
  screenshots: ['/w/shot.png'],
  watchdog: [
    { t: 100, diskWriteBytes: 1 << 20, diskWriteOps: 10, netBytes: 5000 },
    { t: 101, diskWriteBytes: 2 << 20, diskWriteOps: 12, netBytes: 9096 },
  ],
};

describe('installFailure', () => {
  test('each kind has its own code and exit code', () => {
    expect(installFailure({ ...facts, kind: 'timeout' }).exitCode).toBe(75);
    expect(installFailure({ ...facts, kind: 'inactivity' }).code).toBe('INACTIVITY');
    expect(installFailure({ ...facts, kind: 'inactivity' }).exitCode).toBe(exitCodeFor('INACTIVITY'));
    expect(installFailure({ ...facts, kind: 'crash' }).exitCode).toBe(70);
    expect(installFailure({ ...facts, kind: 'panic' }).exitCode).toBe(65);
  });

  test('the message holds headline, screenshot, watchdog and console tail; its evidence holds the same facts', () => {
    const e = installFailure({ ...facts, kind: 'inactivity', hint: 'look at the screenshot' });
    const lines = e.message.split('\n');
    expect(lines[0]).toBe('install failed after 412 s: no disk activity for 300 s');
    expect(e.message).toContain('screenshot: /w/shot.png');
    expect(e.message).toContain('t=101.0s disk written 2.0 MiB (+1.0 MiB), 12 write ops, net 8.9 KiB (+4.0 KiB)');
    expect(lines.slice(-2)).toEqual(['  | Download installer components', '  | Retrieving anna']);
    expect(e.hint).toBe('look at the screenshot');
    expect(e.evidence).toMatchObject({
      reason: 'inactivity',
      consoleTail: facts.consoleTail,
      screenshots: facts.screenshots,
      watchdog: facts.watchdog,
      seconds: 412.4,
    });
  });

  test('says why there is no screenshot, and when the console was empty', () => {
    const e = installFailure({ ...facts, kind: 'crash', screenshots: [], screenshotProblem: 'QEMU had already exited', consoleTail: [] });
    expect(e.message).toContain('no screenshot: QEMU had already exited');
    expect(e.message).toContain('(the guest wrote nothing to the serial console)');
  });

  test('formatWatchdog shows the last samples only', () => {
    const many = Array.from({ length: 20 }, (_, i) => ({ t: i, diskWriteBytes: i, diskWriteOps: i }));
    expect(formatWatchdog(many, 3)).toHaveLength(3);
  });
});

// The panic patterns and their hints are tested with the one list, in libs/vm/src/boot-trouble.test.ts.

import { beginsWithMarker, endsWithMarker } from './install-markers.js';
describe('marker matching', () => {
  const marker = 'OZKIT-INSTALL-COMPLETE 0123abcd';
  test('the echoed line counts, a logged command that would print it does not', () => {
    expect(endsWithMarker(marker, marker)).toBe(true);
    expect(endsWithMarker(`[  301.2] random: crng init done${marker}`, marker)).toBe(true);
    expect(endsWithMarker(`+ echo '${marker}' > /dev/ttyS0`, marker)).toBe(false);
    expect(endsWithMarker('OZKIT-INSTALL-COMPLETE 0123abce', marker)).toBe(false);
  });
  test('the failure marker starts a word and may carry a reason', () => {
    const failed = 'OZKIT-INSTALL-FAILED 0123abcd';
    expect(beginsWithMarker(`${failed}: build key or sshd missing`, failed)).toBe(true);
    expect(beginsWithMarker(`[  12.0] x ${failed}: oops`, failed)).toBe(true);
    expect(beginsWithMarker(`|| echo '${failed}: build key' > /dev/ttyS0`, failed)).toBe(false);
  });
});
