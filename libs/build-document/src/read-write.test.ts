import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { OzkitError } from '@ozkit/errors';
import { appendStage, newBuildDocument, parseBuildDocument, readBuildDocument, requireKey, writeBuildDocument } from './index.js';

const stdinOf = (text: string, isTTY = false) => Object.assign(Readable.from([Buffer.from(text)]), { isTTY });

describe('parseBuildDocument', () => {
  it('keeps keys it does not know, for newer stages', () => {
    const doc = parseBuildDocument('{"ozkit":1,"stages":[],"future":{"x":1}}', 'in');
    expect(doc.future).toEqual({ x: 1 });
  });

  it('refuses an unknown version with a hint', () => {
    expect(() => parseBuildDocument('{"ozkit":2,"stages":[]}', 'in')).toThrowError(/version 2 is not supported/);
  });

  it('says where JSON breaks', () => {
    expect(() => parseBuildDocument('{"ozkit":1,\n "stages": [,]}', 'doc.json')).toThrowError(/^doc\.json:2:/);
  });

  it('refuses empty input, arrays and documents without a version', () => {
    expect(() => parseBuildDocument('  \n', 'in')).toThrowError(/empty input/);
    expect(() => parseBuildDocument('[]', 'in')).toThrowError(/expected a JSON object/);
    expect(() => parseBuildDocument('{"stages":[]}', 'in')).toThrowError(/no "ozkit" version key/);
  });

  it('errors are bad data (exit 65)', () => {
    try {
      parseBuildDocument('nope', 'in');
    } catch (e) {
      expect((e as OzkitError).exitCode).toBe(65);
    }
  });
});

describe('readBuildDocument', () => {
  it('refuses to wait on a terminal (exit 64)', async () => {
    await expect(readBuildDocument({ stdin: stdinOf('', true) })).rejects.toMatchObject({ code: 'TTY_INPUT', exitCode: 64 });
  });

  it('reads stdin or --in', async () => {
    expect((await readBuildDocument({ stdin: stdinOf('{"ozkit":1}') })).stages).toEqual([]);
    const dir = mkdtempSync(join(tmpdir(), 'ozkit-doc-'));
    writeFileSync(join(dir, 'd.json'), '{"ozkit":1,"stages":[]}\n');
    expect((await readBuildDocument({ in: join(dir, 'd.json') })).ozkit).toBe(1);
    await expect(readBuildDocument({ in: join(dir, 'missing.json') })).rejects.toMatchObject({ exitCode: 66 });
  });
});

describe('writeBuildDocument', () => {
  it('writes one compact line to stdout', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (c) => (text += c));
    const doc = appendStage(newBuildDocument(), { tool: 't', version: '1', startedAt: 'now', seconds: 0 });
    await writeBuildDocument(doc, { stdout: out });
    expect(text).toBe('{"ozkit":1,"stages":[{"tool":"t","version":"1","startedAt":"now","seconds":0}]}\n');
  });

  it('writes --out atomically and leaves no temp file behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ozkit-doc-'));
    await writeBuildDocument(newBuildDocument(), { out: join(dir, 'out.json') });
    expect(readdirSync(dir)).toEqual(['out.json']);
    expect(JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')).ozkit).toBe(1);
    await expect(writeBuildDocument(newBuildDocument(), { out: join(dir, 'no', 'such', 'dir.json') })).rejects.toMatchObject({ exitCode: 74 });
    expect(readdirSync(dir)).toEqual(['out.json']);
  });
});

describe('requireKey', () => {
  it('names the stage that should have run', () => {
    expect(() => requireKey(newBuildDocument(), 'answer', 'ks-render')).toThrowError(/no "answer"/);
    try {
      requireKey(newBuildDocument(), 'answer', 'ks-render');
    } catch (e) {
      expect((e as OzkitError).hint).toMatch(/run ks-render/);
    }
  });
});
