import { describe, expect, it } from 'vitest';
import { OzkitError, OzkitErrorList } from '@ozkit/errors';
import { checkStageInput, checkStageOutput, newBuildDocument, problemsOf, shapeAt, writerOf, type BuildDocument } from './index.js';
import { Failure, Media } from './types.js';

const thrown = (f: () => void) => {
  try {
    f();
  } catch (e) {
    return e as OzkitError;
  }
  throw new Error('expected a throw');
};

describe('document shapes', () => {
  it('name the key path of each problem', () => {
    expect(problemsOf(Media, { original: {}, boot: { method: 'iso', iso: 3, sha256: 'x' } }, 'media').map((p) => p.path)).toEqual([
      'media.original.url',
      'media.original.kind',
      'media.original.path',
      'media.original.sha256',
      'media.original.bytes',
      'media.original.verified',
      'media.original.fromCache',
      'media.boot.iso',
    ]);
    expect(problemsOf(Media.props.boot, { method: 'floppy' }, 'media.boot')).toEqual([
      { path: 'media.boot.method', message: 'must be one of "iso", "kernel" (got "floppy")' },
    ]);
  });

  it('a failure exits 1..255', () => {
    const base = { stage: 's', code: 'TIMEOUT', message: 'm' };
    expect(problemsOf(Failure, { ...base, exitCode: 75 }, 'failure')).toEqual([]);
    for (const exitCode of [0, 256, 1.5, '75', undefined]) expect(problemsOf(Failure, { ...base, exitCode }, 'failure')).toHaveLength(1);
  });

  it('reach into a key by path', () => {
    expect(shapeAt('disk.path').expected).toBe('an absolute path');
    expect(() => shapeAt('disk.nope' as never)).toThrow(/no document key disk\.nope/);
  });
});

describe('checkStageInput', () => {
  const doc = (): BuildDocument => ({
    ...newBuildDocument(),
    workdir: 7 as never,
    stages: [{ tool: 'tdl-validate', version: '1', startedAt: 'x', seconds: 0, produced: ['workdir', 'template'] }],
  });

  it('a missing key names the stage to run', () => {
    const e = thrown(() => checkStageInput(newBuildDocument(), ['answer']));
    expect(e.message).toBe('build document has no "answer"');
    expect(e.hint).toBe('run ks-render earlier in the pipeline');
  });

  it('a wrong type names the path and the stage that wrote it, exit 65', () => {
    const e = thrown(() => checkStageInput(doc(), ['workdir']));
    expect(e.exitCode).toBe(65);
    expect(e.message).toBe('workdir: must be an absolute path (got 7) (written by tdl-validate)');
    expect(e.hint).toMatch(/rerun tdl-validate/);
  });

  it('every problem, one error each', () => {
    const d = { ...doc(), disk: { path: 1, format: 'vmdk' } } as unknown as BuildDocument;
    const e = thrown(() => checkStageInput(d, ['workdir'], ['disk.path', 'disk.format']));
    expect(e).toBeInstanceOf(OzkitErrorList);
    expect((e as OzkitErrorList).errors.map((x) => x.message)).toEqual([
      'workdir: must be an absolute path (got 7) (written by tdl-validate)',
      'disk.path: must be an absolute path (got 1) (no stage record says who wrote it; guest-install does)',
      'disk.format: must be one of "qcow2", "raw" (got "vmdk") (no stage record says who wrote it; guest-install does)',
    ]);
  });

  it('a stage that writes a broken key is a bug (70)', () => {
    expect(thrown(() => checkStageOutput(doc(), ['workdir'], 'x')).exitCode).toBe(70);
  });

  it('the writer of failure is its stage', () => {
    expect(writerOf({ ...newBuildDocument(), failure: { stage: 'guest-install' } as never }, 'failure')).toBe('written by guest-install');
  });
});
