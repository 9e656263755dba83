import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** The real CLI through its committed shim (build first: npx tsc -p tools/tdl-validate). */
const BIN = fileURLToPath(new URL('../bin/tdl-validate.js', import.meta.url));

const VALID = `<template>
  <name>web server</name>
  <os>
    <name>Debian</name>
    <version>12</version>
    <arch>x86_64</arch>
    <install type='iso'>
      <iso>/srv/media/debian-12.iso</iso>
    </install>
    <rootpw>hunter2</rootpw>
  </os>
  <repositories>
    <repository name="dup"><url>http://a/</url></repository>
    <repository name="dup"><url>http://b/</url></repository>
  </repositories>
</template>
`;

const INVALID = `<template>
  <name>x</name>
  <os>
    <name>Debian</name>
    <arch>sparc</arch>
    <install type='iso'><iso>/srv/x.iso</iso></install>
  </os>
  <disk><size>10M</size></disk>
</template>
`;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ozkit-tdl-validate-cli-'));
  writeFileSync(join(dir, 'web.tdl'), VALID);
  writeFileSync(join(dir, 'bad.tdl'), INVALID);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[], options: { input?: string; env?: Record<string, string>; cwd?: string } = {}) {
  const cwd = options.cwd ?? mkdtempSync(join(dir, 'cwd-'));
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: dir, XDG_CONFIG_HOME: join(dir, 'no-config'), ...options.env };
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd, env, input: options.input ?? '', encoding: 'utf8', timeout: 20_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, cwd };
}

describe('tdl-validate', () => {
  it('prints the build document as one line and creates the workdir', () => {
    const r = run([join(dir, 'web.tdl')]);
    expect(r.code).toBe(0);
    expect(r.stdout.endsWith('\n')).toBe(true);
    expect(r.stdout.trimEnd().includes('\n')).toBe(false);
    const doc = JSON.parse(r.stdout);
    expect(doc.ozkit).toBe(1);
    expect(doc.workdir).toBe(join(r.cwd, 'build', 'web_server'));
    expect(statSync(doc.workdir).isDirectory()).toBe(true);
    expect(doc.template.name).toBe('web server');
    expect(doc.template.source.path).toBe(join(dir, 'web.tdl'));
    expect(doc.template.os.rootpw).toEqual({ set: true, file: join(dir, 'web.tdl'), line: 10, column: 5 });
    expect(doc.template.disk.sizeBytes).toBe(10 * 2 ** 30);
    expect(doc.stages).toEqual([expect.objectContaining({ tool: 'tdl-validate', version: expect.any(String), startedAt: expect.any(String) })]);
    expect(r.stdout).not.toContain('hunter2');
    expect(r.stderr).toBe(
      `tdl-validate: warning: ${join(dir, 'web.tdl')}:14:5: repository "dup" is defined again (first at 13:5): the last definition wins, as in Oz\n`,
    );
  });

  it('reports every problem, one line each, and exits 65', () => {
    const r = run(['bad.tdl'], { cwd: dir });
    expect(r.code).toBe(65);
    expect(r.stderr.split('\n').filter(Boolean)).toEqual([
      'tdl-validate: bad.tdl:3:3: <os> has no <version>',
      'tdl-validate: bad.tdl:5:5: <arch> must be one of i386, x86_64, ppc64, ppc64le, aarch64, armv7l, s390x, not "sparc"',
      'tdl-validate: bad.tdl:8:9: disk size "10M": unit "M" is not accepted; it must be a whole number with an optional unit: B, KB…YB, KiB…YiB, or G/T (GiB/TiB); no unit means GiB — e.g. 20G, 16GiB, 500GB',
    ]);
    // Piped stdout gets a failure document, so the next stage of a pipe stops cleanly.
    const doc = JSON.parse(r.stdout);
    expect(doc.failure).toMatchObject({ stage: 'tdl-validate', code: 'BAD_TDL', exitCode: 65 });
    expect(doc.template).toBeUndefined();
  });

  it('shows a stack trace only with -v', () => {
    expect(run(['bad.tdl'], { cwd: dir }).stderr).not.toMatch(/\n\s+at /);
    expect(run(['-v', 'bad.tdl'], { cwd: dir }).stderr).toMatch(/\n\s+at /);
  });

  it('gives NDJSON errors with their location with --log-format json', () => {
    const r = run(['--log-format', 'json', 'bad.tdl'], { cwd: dir });
    expect(r.code).toBe(65);
    const events = r.stderr
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    expect(events).toHaveLength(3);
    expect(events[1]).toMatchObject({ tool: 'tdl-validate', level: 'error', code: 'BAD_TDL', location: { file: 'bad.tdl', line: 5, column: 5 } });
  });

  it('exits 66 for a missing file and 64 for usage errors', () => {
    const missing = run(['nope.tdl'], { cwd: dir });
    expect(missing.code).toBe(66);
    expect(missing.stderr).toMatch(/^tdl-validate: nope\.tdl: no such file\n/);
    const dirArg = run([dir]);
    expect(dirArg.code).toBe(66);
    expect(run([]).code).toBe(64);
    expect(run(['a.tdl', 'b.tdl']).code).toBe(64);
    expect(run(['--bogus', 'a.tdl']).code).toBe(64);
  });

  it('refuses a file over 16 MiB without reading it, and a DTD without expanding it', () => {
    const big = join(dir, 'big.tdl');
    writeFileSync(big, '');
    truncateSync(big, 17 * 1024 * 1024);
    const r = run([big]);
    expect(r.code).toBe(65);
    expect(r.stderr).toBe(`tdl-validate: ${big}: 17825792 bytes; a TDL may be at most 16777216 bytes (16 MiB)\n`);
    const xxe = join(dir, 'xxe.tdl');
    writeFileSync(xxe, `<!DOCTYPE template [<!ENTITY x SYSTEM "file://${join(dir, 'web.tdl')}">]>\n<template><name>&x;</name></template>\n`);
    const refused = run([xxe]);
    expect(refused.code).toBe(65);
    expect(refused.stderr).toMatch(
      /^tdl-validate: .*xxe\.tdl:1:1: DTD declarations \(<!DOCTYPE … \[ … \]>\) are refused: ozkit expands no entities and loads no external files\n$/,
    );
    expect(refused.stdout + refused.stderr).not.toContain('hunter2');
  });

  it('reads stdin with -, keeping a 0600 copy in the workdir that the document points to', () => {
    const r = run(['-'], { input: VALID });
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    const copy = join(doc.workdir, 'template.tdl');
    expect(doc.template.source.path).toBe(copy);
    expect(doc.template.os.rootpw.file).toBe(copy);
    expect(readFileSync(copy, 'utf8')).toBe(VALID);
    expect(statSync(copy).mode & 0o777).toBe(0o600);
  });

  it('names stdin in problems read from it', () => {
    const r = run(['-'], { input: INVALID });
    expect(r.code).toBe(65);
    expect(r.stderr).toContain('tdl-validate: <stdin>:5:5: <arch> must be one of');
  });

  describe('workdir', () => {
    it('--workdir wins over $OZKIT_WORKDIR, which wins over [paths] output_dir', () => {
      const config = join(dir, 'oz.cfg');
      writeFileSync(config, `[paths]\noutput_dir = ${join(dir, 'images')}\n`);
      const tdl = join(dir, 'web.tdl');
      const flag = run(['--workdir', 'here', '-c', config, tdl], { env: { OZKIT_WORKDIR: join(dir, 'env-wd') } });
      expect(JSON.parse(flag.stdout).workdir).toBe(join(flag.cwd, 'here'));
      const env = run(['-c', config, tdl], { env: { OZKIT_WORKDIR: join(dir, 'env-wd') } });
      expect(JSON.parse(env.stdout).workdir).toBe(join(dir, 'env-wd'));
      const cfg = run(['-c', config, tdl]);
      expect(JSON.parse(cfg.stdout).workdir).toBe(join(dir, 'images', 'web_server'));
      expect(statSync(join(dir, 'images', 'web_server')).isDirectory()).toBe(true);
    });

    it('says so when the workdir cannot be created', () => {
      const file = join(dir, 'a-file');
      writeFileSync(file, '');
      const r = run(['--workdir', join(file, 'sub'), join(dir, 'web.tdl')]);
      expect(r.code).toBe(74);
      expect(r.stderr).toContain('cannot create workdir');
    });
  });

  it('writes the document to --out instead of stdout', () => {
    const out = join(dir, 'out', 'doc.json');
    mkdirSync(join(dir, 'out'), { recursive: true });
    const r = run(['--out', out, '-q', join(dir, 'web.tdl')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('');
    expect(JSON.parse(readFileSync(out, 'utf8')).template.name).toBe('web server');
  });

  it('prints --help with examples', () => {
    const r = run(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('tdl-validate [options] FILE|-');
    expect(r.stdout).toContain('Examples:');
  });
});
