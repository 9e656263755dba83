import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OzkitError } from '@ozkit/errors';
import { defineStage, failedDocumentPath, runCommand, runStage } from './index.js';
import { FailureWithEvidence, type BuildDocument } from '@ozkit/build-document';

function capture() {
  const stream = Object.assign(new PassThrough(), { isTTY: false });
  let text = '';
  stream.on('data', (c) => (text += c));
  return { stream, text: () => text };
}

describe('runCommand', () => {
  it('reports an OzkitError as one line plus hint and returns its exit code', async () => {
    const err = capture();
    const code = await runCommand({ tool: 'demo', version: '1', stderr: err.stream }, async () => {
      throw new OzkitError('BAD_TDL', 'x.tdl:3:5: <arch> must be one of …', { hint: 'fix the template' });
    });
    expect(code).toBe(65);
    expect(err.text()).toBe('demo: x.tdl:3:5: <arch> must be one of …\ndemo: hint: fix the template\n');
    process.exitCode = 0;
  });

  it('prints a stack trace only with -v', async () => {
    const quiet = capture();
    await runCommand({ tool: 'demo', version: '1', stderr: quiet.stream }, async () => {
      throw new TypeError('boom');
    });
    expect(quiet.text()).not.toMatch(/at .*run-stage\.test/);
    expect(quiet.text()).toMatch(/^demo: boom\n/);
    const loud = capture();
    const code = await runCommand({ tool: 'demo', version: '1', verbosity: 1, stderr: loud.stream }, async () => {
      throw new TypeError('boom');
    });
    expect(code).toBe(70);
    expect(loud.text()).toMatch(/TypeError: boom\n\s+at /);
    process.exitCode = 0;
  });

  it('writes NDJSON errors with --log-format json', async () => {
    const err = capture();
    await runCommand({ tool: 'demo', version: '1', logFormat: 'json', stderr: err.stream }, async () => {
      throw new OzkitError('TIMEOUT', 'install timed out', { hint: 'raise [timeouts] install' });
    });
    const event = JSON.parse(err.text().trim());
    expect(event).toMatchObject({ tool: 'demo', level: 'error', msg: 'install timed out', code: 'TIMEOUT', hint: 'raise [timeouts] install' });
    process.exitCode = 0;
  });
});

describe('runStage', () => {
  const ctxFor = (err: ReturnType<typeof capture>) =>
    new Promise<Parameters<Parameters<typeof runCommand>[1]>[0]>((resolve) => {
      void runCommand({ tool: 'stage-x', version: '9', stderr: err.stream }, async (ctx) => resolve(ctx));
    });

  /** A stage for the tests: `body` is its run. */
  const stageX = (body: (doc: BuildDocument) => Promise<BuildDocument>) =>
    defineStage({ name: 'stage-x', needs: [], produces: [], run: (doc: BuildDocument) => body(doc) });

  it('appends its record and passes unknown keys through', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ozkit-stage-'));
    writeFileSync(join(dir, 'in.json'), '{"ozkit":1,"stages":[],"other":{"keep":true}}');
    const ctx = await ctxFor(capture());
    await runStage(
      stageX(async (doc) => ({ ...doc, mine: 1 })),
      {},
      { ctx, in: join(dir, 'in.json'), out: join(dir, 'out.json') },
    );
    const out = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8'));
    expect(out.other).toEqual({ keep: true });
    expect(out.mine).toBe(1);
    expect(out.stages[0]).toMatchObject({ tool: 'stage-x', version: '9' });
  });

  it('on failure hands the next stage a document with `failure`', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ozkit-stage-'));
    writeFileSync(join(dir, 'in.json'), '{"ozkit":1,"stages":[]}');
    const ctx = await ctxFor(capture());
    await expect(
      runStage(
        stageX(async () => {
          throw new FailureWithEvidence('INACTIVITY', 'no disk activity for 300 s', { consoleTail: ['a', 'b'], screenshots: ['/x.png'] });
        }),
        {},
        { ctx, in: join(dir, 'in.json'), out: join(dir, 'out.json') },
      ),
    ).rejects.toThrow(/no disk activity/);
    // --out FILE only ever holds a successful run's document: the failed one is FILE.failed.json.
    expect(existsSync(join(dir, 'out.json'))).toBe(false);
    const out = JSON.parse(readFileSync(join(dir, 'out.failed.json'), 'utf8'));
    expect(out.failure).toMatchObject({ stage: 'stage-x', code: 'INACTIVITY', exitCode: 75, consoleTail: ['a', 'b'], screenshots: ['/x.png'] });
    expect(out.stages[0].failed).toBe(true);

    // The next stage does nothing, passes the document on and fails with the same exit code.
    let ran = false;
    await expect(
      runStage(
        stageX(async (doc) => {
          ran = true;
          return doc;
        }),
        {},
        { ctx, in: join(dir, 'out.failed.json'), out: join(dir, 'next.json') },
      ),
    ).rejects.toMatchObject({ exitCode: 75, message: expect.stringMatching(/stage-x failed earlier: no disk activity/) });
    expect(ran).toBe(false);
    expect(existsSync(join(dir, 'next.json'))).toBe(false);
    expect(JSON.parse(readFileSync(join(dir, 'next.failed.json'), 'utf8')).failure.code).toBe('INACTIVITY');
  });

  it('a failed run removes a stale --out FILE (not an in-place input); a later success removes FILE.failed.json', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ozkit-stage-'));
    writeFileSync(join(dir, 'in.json'), '{"ozkit":1,"stages":[]}');
    writeFileSync(join(dir, 'out.json'), '{"ozkit":1,"stages":[],"stale":true}');
    const ctx = await ctxFor(capture());
    let fail = true;
    const flaky = stageX(async (doc) => {
      if (fail) throw new OzkitError('TIMEOUT', 'mirror down');
      return { ...doc, mine: 1 };
    });
    await expect(runStage(flaky, {}, { ctx, in: join(dir, 'in.json'), out: join(dir, 'out.json') })).rejects.toMatchObject({ exitCode: 75 });
    expect(existsSync(join(dir, 'out.json'))).toBe(false);
    expect(JSON.parse(readFileSync(join(dir, 'out.failed.json'), 'utf8')).failure.message).toBe('mirror down');

    // In place: the input stays as it was, the failure goes next to it.
    await expect(runStage(flaky, {}, { ctx, in: join(dir, 'in.json'), out: join(dir, 'in.json') })).rejects.toMatchObject({ exitCode: 75 });
    expect(readFileSync(join(dir, 'in.json'), 'utf8')).toBe('{"ozkit":1,"stages":[]}');
    expect(existsSync(join(dir, 'in.failed.json'))).toBe(true);

    fail = false;
    await runStage(flaky, {}, { ctx, in: join(dir, 'in.json'), out: join(dir, 'out.json') });
    expect(JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')).mine).toBe(1);
    expect(existsSync(join(dir, 'out.failed.json'))).toBe(false);
    expect(readdirSync(dir).sort()).toEqual(['in.failed.json', 'in.json', 'out.json']);
  });

  it('names the failed document after --out', () => {
    expect(failedDocumentPath('/b/x/image.json')).toBe('/b/x/image.failed.json');
    expect(failedDocumentPath('doc')).toBe('doc.failed.json');
    expect(failedDocumentPath('/b/x.failed.json')).toBe('/b/x.failed.json');
  });

  it('checks the keys a stage needs before it runs, and what it wrote after', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ozkit-stage-'));
    writeFileSync(
      join(dir, 'in.json'),
      JSON.stringify({ ozkit: 1, stages: [{ tool: 'tdl-validate', version: '1', startedAt: 'x', seconds: 0, produced: ['workdir'] }], workdir: 'relative' }),
    );
    const ctx = await ctxFor(capture());
    let ran = false;
    const needsWorkdir = defineStage({ name: 'stage-x', needs: ['workdir'], produces: 'media', run: async (doc) => ((ran = true), doc) });
    await expect(runStage(needsWorkdir, {}, { ctx, in: join(dir, 'in.json'), out: join(dir, 'out.json') })).rejects.toMatchObject({
      exitCode: 65,
      message: 'workdir: must be an absolute path (got "relative") (written by tdl-validate)',
    });
    expect(ran).toBe(false);
    expect(JSON.parse(readFileSync(join(dir, 'out.failed.json'), 'utf8')).failure).toMatchObject({ stage: 'stage-x', code: 'BAD_DOCUMENT', exitCode: 65 });

    writeFileSync(join(dir, 'in.json'), '{"ozkit":1,"stages":[]}');
    const writesJunk = defineStage({ name: 'stage-x', needs: [], produces: 'media', run: async (doc) => ({ ...doc, media: { boot: 1 } as never }) });
    await expect(runStage(writesJunk, {}, { ctx, in: join(dir, 'in.json'), out: join(dir, 'out.json') })).rejects.toMatchObject({ exitCode: 70 });
  });

  it('records what a stage produced; a stage that reads failures keeps the failure it was given', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ozkit-stage-'));
    const failed = { ozkit: 1, stages: [], failure: { stage: 'guest-install', code: 'TIMEOUT', message: 'slow', exitCode: 75, screenshots: ['a.ppm'] } };
    writeFileSync(join(dir, 'in.json'), JSON.stringify(failed));
    const ctx = await ctxFor(capture());
    const converts = defineStage({
      name: 'stage-x',
      needs: [],
      uses: ['failure.screenshots'],
      produces: 'failure.screenshots',
      readsFailures: true,
      run: async (doc) => ({
        doc: { ...doc, failure: { ...doc.failure!, screenshots: ['a.png'] } },
        record: { converted: ['a.png'] },
        errorAfterWrite: new OzkitError('INPUT_MISSING', 'b.ppm: no such file'),
      }),
    });
    await expect(runStage(converts, {}, { ctx, in: join(dir, 'in.json'), out: join(dir, 'out.json') })).rejects.toMatchObject({ exitCode: 66 });
    // It exited non-zero, so its document is not FILE either.
    expect(existsSync(join(dir, 'out.json'))).toBe(false);
    const out = JSON.parse(readFileSync(join(dir, 'out.failed.json'), 'utf8'));
    expect(out.failure).toMatchObject({ stage: 'guest-install', exitCode: 75, screenshots: ['a.png'] });
    expect(out.stages[0]).toMatchObject({ tool: 'stage-x', produced: ['failure.screenshots'], converted: ['a.png'] });

    const breaks = defineStage({
      name: 'stage-x',
      needs: [],
      produces: [],
      readsFailures: true,
      run: async () => Promise.reject(new OzkitError('IO', 'disk full')),
    });
    await expect(runStage(breaks, {}, { ctx, in: join(dir, 'in.json'), out: join(dir, 'out.json') })).rejects.toThrow('disk full');
    expect(JSON.parse(readFileSync(join(dir, 'out.failed.json'), 'utf8')).failure).toMatchObject({ stage: 'guest-install', code: 'TIMEOUT' });
  });

  it('with documentToStdout false the document goes only to --out', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ozkit-stage-'));
    writeFileSync(join(dir, 'in.json'), '{"ozkit":1,"stages":[]}');
    const ctx = await ctxFor(capture());
    const out = capture();
    await runStage(
      stageX(async (doc) => doc),
      {},
      { ctx, in: join(dir, 'in.json'), stdout: out.stream, documentToStdout: false },
    );
    expect(out.text()).toBe('');
    await runStage(
      stageX(async (doc) => doc),
      {},
      { ctx, in: join(dir, 'in.json'), out: join(dir, 'o.json'), stdout: out.stream, documentToStdout: false },
    );
    expect(JSON.parse(readFileSync(join(dir, 'o.json'), 'utf8')).stages).toHaveLength(1);
  });

  it('writes no document for a person at a terminal', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ozkit-stage-'));
    writeFileSync(join(dir, 'in.json'), '{"ozkit":1,"stages":[]}');
    const ctx = await ctxFor(capture());
    const tty = Object.assign(capture().stream, { isTTY: true });
    let written = '';
    tty.on('data', (c) => (written += c));
    await expect(
      runStage(
        stageX(async () => {
          throw new OzkitError('BAD_TDL', 'bad');
        }),
        {},
        { ctx, in: join(dir, 'in.json'), stdout: tty },
      ),
    ).rejects.toThrow('bad');
    expect(written).toBe('');
    expect(existsSync(join(dir, 'out.json'))).toBe(false);
  });
});

describe('reportError', () => {
  it('puts the location in front of a message that lacks it, once', async () => {
    const err = capture();
    await runCommand({ tool: 'demo', version: '1', stderr: err.stream }, async () => {
      throw new OzkitError('BAD_ANSWER_FILE', 'no poweroff', { location: { file: 'ks.cfg', line: 4, column: 1 } });
    });
    const again = capture();
    await runCommand({ tool: 'demo', version: '1', stderr: again.stream }, async () => {
      throw new OzkitError('BAD_ANSWER_FILE', 'ks.cfg:4:1: no poweroff', { location: { file: 'ks.cfg', line: 4, column: 1 } });
    });
    expect(err.text()).toBe('demo: ks.cfg:4:1: no poweroff\n');
    expect(again.text()).toBe('demo: ks.cfg:4:1: no poweroff\n');
    process.exitCode = 0;
  });
});

describe('logSettingsFromArgv', () => {
  it('reads -q, -v, -vv, --verbose and both --log-format spellings', async () => {
    const { logSettingsFromArgv } = await import('./index.js');
    expect(logSettingsFromArgv([])).toEqual({ verbosity: 0, logFormat: 'text' });
    expect(logSettingsFromArgv(['-vv', '--verbose'])).toEqual({ verbosity: 3, logFormat: 'text' });
    expect(logSettingsFromArgv(['-v', '-q'])).toEqual({ verbosity: -1, logFormat: 'text' });
    expect(logSettingsFromArgv(['--log-format', 'json']).logFormat).toBe('json');
    expect(logSettingsFromArgv(['--log-format=json']).logFormat).toBe('json');
    expect(logSettingsFromArgv(['--log-format', 'text', 'json']).logFormat).toBe('text');
  });
});
