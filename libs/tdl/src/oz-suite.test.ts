import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, problemsOf } from './tdl-fixtures.test-support.js';
import { cases, reasons, repo, withBody } from './oz-suite-cases.test-support.js';

/** ozkit must agree with Oz on valid/invalid for every case of Oz's suite. */

let cwd: string;
beforeAll(() => {
  cwd = mkdtempSync(join(tmpdir(), 'ozkit-tdl-suite-'));
  mkdirSync(join(cwd, 'tests', 'tdl'), { recursive: true });
  writeFileSync(join(cwd, 'tests', 'tdl', 'hello.cmd'), 'echo hello\n');
});
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

describe("Oz's TDL suite: ozkit agrees on valid/invalid", () => {
  for (const [id, xml, valid] of cases)
    it(`test-${id} is ${valid ? 'valid' : 'invalid'}`, () => {
      if (valid) {
        expect(() => parse(xml(), { cwd })).not.toThrow();
        return;
      }
      const problems = problemsOf(xml(), { cwd });
      expect(reasons[id], `a reason for ${id}`).toBeDefined();
      expect(
        problems.some((p) => reasons[id].test(p)),
        problems.join('\n'),
      ).toBe(true);
    });
});

describe("what Oz's suite checks beyond valid/invalid", () => {
  it('test-43: every way of writing a bool gives the persisted value the name says', () => {
    const { template } = parse(cases.find(([id]) => id === '43-persisted-repos')![1]());
    expect(template.repositories).toHaveLength(12);
    for (const r of template.repositories) expect(r.persisted).toBe(r.name.endsWith('true'));
  });

  it('repository defaults are signed=no, persisted=yes, sslverify=no', () => {
    const { template } = parse(withBody(`<repositories>${repo('<url>http://path/to/my/repo</url>')}</repositories>`));
    expect(template.repositories).toEqual([{ name: 'myrepo', url: 'http://path/to/my/repo', signed: false, persisted: true, sslverify: false }]);
  });

  it('test-59: commands come out sorted by position', () => {
    const { template } = parse(cases.find(([id]) => id === '59-command-sorting')![1]());
    expect(template.commands.map((c) => [c.name, c.position, c.content])).toEqual([
      ['cmd1', 1, 'echo 1'],
      ['cmd3', 2, 'echo 2'],
      ['cmd2', 3, 'echo 3'],
    ]);
  });

  it('test-37: without positions, commands keep document order and their text is stripped', () => {
    const { template } = parse(cases.find(([id]) => id === '37-command')![1]());
    expect(template.commands).toEqual([
      { name: 'cmd1', type: 'raw', content: 'echo "hello" > /tmp/foo' },
      { name: 'cmd2', type: 'raw', content: 'echo "there" > /tmp/bar' },
    ]);
  });

  it('test-52/54: Oz-style relative file:// contents resolve against the working directory, normalized to file:///', () => {
    const cmd = parse(cases.find(([id]) => id === '52-command-file-url')![1](), { cwd }).template.commands[0];
    expect(cmd.content).toBe(`file://${cwd}/tests/tdl/hello.cmd`);
    const file = parse(cases.find(([id]) => id === '54-files-file-url')![1](), { cwd }).template.files[0];
    expect(file).toEqual({ name: '/tmp/foo', type: 'url', content: `file://${cwd}/tests/tdl/hello.cmd` });
  });

  it('test-29/48/49: file contents are stripped raw text or base64 text, empty allowed', () => {
    expect(parse(cases.find(([id]) => id === '29-files')![1]()).template.files).toEqual([{ name: '/tmp/foo', type: 'raw', content: 'hello there' }]);
    expect(parse(cases.find(([id]) => id === '48-file-empty-base64')![1]()).template.files[0].content).toBe('');
    expect(parse(cases.find(([id]) => id === '32-file-base64-type')![1]()).template.files[0]).toEqual({ name: '/tmp/foo', type: 'base64', content: 'aGVsbG8K' });
  });

  it.each([
    ['51-disk-size', 10 * 2 ** 30],
    ['58-disk-size-tebibyte-compat', 10 * 2 ** 40],
    ['63-disk-size-exbibyte', 2 * 2 ** 60],
    ['64-disk-size-zettabyte', 10 * 10 ** 21],
    ['65-disk-size-byte', 10_000_000],
  ])('test-%s: disk size in bytes', (id, bytes) => {
    expect(parse(cases.find(([c]) => c === id)![1]()).template.disk.sizeBytes).toBe(bytes);
  });

  it('test-11: packages keep repository, file and arguments', () => {
    const { template } = parse(cases.find(([id]) => id === '11-description-packages-repositories')![1]());
    expect(template.packages).toEqual([{ name: 'chris', repository: 'myrepo', file: 'myfilename', arguments: 'args' }]);
    expect(template.description).toBe('d');
  });

  it('test-22: a checksum element names a checksum file by URL', () => {
    const { template } = parse(cases.find(([id]) => id === '22-md5sum')![1]());
    expect(template.os.install).toEqual({
      type: 'iso',
      iso: 'file:///example.org/Windows2003.iso',
      checksum: { kind: 'md5', value: 'file:///example.org/MD5SUM' },
      extras: [],
    });
    expect(template.os.arch).toBe('i386');
  });
});
