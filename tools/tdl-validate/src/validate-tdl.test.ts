import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateTdl } from './validate-tdl.js';

const TDL = `<template><name>t1</name><os><name>Fedora</name><version>40</version><arch>x86_64</arch>
<install type="url"><url>http://dl.example.org/fedora/40/os/</url></install></os></template>`;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ozkit-validate-tdl-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const noConfig = () => ({ HOME: dir, XDG_CONFIG_HOME: join(dir, 'none') });

describe('validateTdl', () => {
  it('refuses a terminal on stdin instead of waiting', async () => {
    const stdin = Object.assign(Readable.from([]), { isTTY: true });
    await expect(validateTdl({ file: '-', stdin, cwd: dir, env: noConfig() })).rejects.toMatchObject({ code: 'TTY_INPUT', exitCode: 64 });
  });

  it('refuses more than 16 MiB on stdin', async () => {
    const chunk = Buffer.alloc(1 << 20, 0x20);
    const stdin = Readable.from(Array.from({ length: 17 }, () => chunk));
    await expect(validateTdl({ file: '-', stdin, cwd: dir, env: noConfig() })).rejects.toMatchObject({ code: 'BAD_TDL', exitCode: 65 });
  });

  it('resolves the default workdir under the given cwd and returns the template', async () => {
    writeFileSync(join(dir, 't1.tdl'), TDL);
    const result = await validateTdl({ file: 't1.tdl', cwd: dir, env: noConfig() });
    expect(result.workdir).toBe(join(dir, 'build', 't1'));
    expect(result.template.os.install).toEqual({ type: 'url', url: 'http://dl.example.org/fedora/40/os/' });
    expect(result.warnings).toEqual([]);
  });
});
