import { describe, expect, test } from 'vitest';
import { OzkitError, exitCodeFor } from '@ozkit/errors';
import { FailureWithEvidence } from '@ozkit/build-document';
import { GuestFailure, formatEvidence, reasonFor, type FailureEvidence } from './failure-evidence.js';

const evidence: FailureEvidence = {
  reason: 'timeout',
  consoleLog: '/w/customize-console.log',
  consoleTail: ['one', '', 'two'],
  screenshots: ['/w/shot.png'],
  seconds: 25.1,
};

describe('failure evidence', () => {
  test('formatted: the console file, its last non-empty lines, the screenshot', () => {
    expect(formatEvidence(evidence)).toEqual(['console tail (/w/customize-console.log):', '  | one', '  | two', 'screenshot: /w/shot.png']);
    expect(formatEvidence({ ...evidence, consoleTail: Array.from({ length: 30 }, (_, i) => `l${i}`) }, 3)).toEqual([
      'console tail (/w/customize-console.log):',
      '  | l27',
      '  | l28',
      '  | l29',
      'screenshot: /w/shot.png',
    ]);
  });

  test('a console that is not kept is not named; an empty one says so', () => {
    const { consoleLog: _, ...unkept } = evidence;
    expect(formatEvidence(unkept)[0]).toBe('console tail:');
    expect(formatEvidence({ ...evidence, consoleTail: [], screenshots: [] })).toEqual(['the console (/w/customize-console.log) is empty']);
  });

  test('a GuestFailure is a FailureWithEvidence with its code, exit code, and the evidence typed (runStage reads it there)', () => {
    const e = new GuestFailure('TIMEOUT', 'no ssh', evidence, { hint: 'wait longer', details: { attempts: 9 } });
    expect(e).toBeInstanceOf(OzkitError);
    expect(e.exitCode).toBe(exitCodeFor('TIMEOUT'));
    expect(e.evidence).toBe(evidence);
    expect(e).toBeInstanceOf(FailureWithEvidence);
    expect(e.details).toEqual({ attempts: 9 });
    expect(e.hint).toBe('wait longer');
  });

  test('reasons for codes', () => {
    expect(reasonFor('GUEST_PANIC')).toBe('panic');
    expect(reasonFor('QEMU_CRASHED')).toBe('crash');
    expect(reasonFor('COMMAND_FAILED')).toBe('step-failed');
    expect(reasonFor('BAD_IMAGE')).toBe('error');
  });
});
