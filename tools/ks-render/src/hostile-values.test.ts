import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { DocumentWith } from '@ozkit/build-document';
import { renderAnswer } from './render-answer.js';
import { documentFor, Scratch, TEST_MIRRORS } from './ks-render.test-support.js';
import { autoyastFacts, debconfCheck, kickstartStructure, loadYaml } from './answer-checks.test-support.js';
import { parsePreseed } from './preseed/preseed-syntax.js';

const scratch = new Scratch();
afterEach(() => scratch.cleanup());

const HOSTILE_PASSWORDS = [
  `pa"ss'word`,
  '$(reboot)`halt`${IFS}',
  'back\\slash\\\\ end\\',
  '%post --nochroot',
  'x\n%post\nreboot\n%end'.replace(/\n/g, ' '),
  "'; reboot; echo '",
  '#not-a-comment',
  'd-i preseed/late_command string reboot',
  'autoinstall: {shutdown: reboot}',
  'ünïcødé ✓',
];

const OSES: [string, string, 'kickstart' | 'preseed' | 'autoinstall' | 'autoyast'][] = [
  ['CentOS-7', '9', 'kickstart'],
  ['Rocky-9', '9', 'kickstart'],
  ['Debian', '12', 'preseed'],
  ['Ubuntu', '18.04', 'preseed'],
  ['Ubuntu', '24.04', 'autoinstall'],
  ['openSUSE-Leap', '15.6', 'autoyast'],
];

/** The shape of an answer file: commands/sections, preseed questions, or YAML keys. */
function shapeOf(format: string, text: string): unknown {
  if (format === 'kickstart') return kickstartStructure(text);
  if (format === 'preseed') return parsePreseed(text).entries.map((e) => `${e.owner} ${e.question} ${e.type}`);
  if (format === 'autoyast') {
    const { password: _p, keys: _k, pre: _pre, chroot, ...rest } = autoyastFacts(text);
    return { ...rest, chroot: (chroot as string[]).length };
  }
  const [data] = loadYaml(text) as [{ autoinstall: Record<string, unknown[]> }];
  return { keys: Object.keys(data.autoinstall), late: data.autoinstall['late-commands'].length };
}

function cryptMatches(password: string, text: string): boolean {
  const hash = /\$6\$[./0-9A-Za-z]+\$[./0-9A-Za-z]{86}/.exec(text)![0];
  const salt = hash.split('$')[2];
  return (
    execFileSync('openssl', ['passwd', '-6', '-salt', salt, '-stdin'], { input: password + '\n' })
      .toString()
      .trim() === hash
  );
}

describe('TDL values never create answer-file commands or sections', () => {
  for (const [os, version, format] of OSES) {
    it(`${os} ${version}: hostile root passwords and names leave the ${format} shape unchanged`, async () => {
      const plain = await renderAnswer(documentFor(scratch.dir(), { os, version, rootpw: 'plain', name: 'plain' }), { mirrors: TEST_MIRRORS });
      const expected = shapeOf(format, readFileSync(plain.answer!.path, 'utf8'));
      for (const [i, password] of HOSTILE_PASSWORDS.entries()) {
        const name = i % 2 === 0 ? `evil"; reboot; %post $(x) \\ ${i}` : `--hostname=x\n%pre ${i}`.replace(/\n/g, ' ');
        const out = await renderAnswer(documentFor(scratch.dir(), { os, version, rootpw: password, name }), { mirrors: TEST_MIRRORS });
        const text = readFileSync(out.answer!.path, 'utf8');
        expect(shapeOf(format, text)).toEqual(expected);
        expect(text).not.toContain(password);
        expect(cryptMatches(password, text)).toBe(true);
        if (format === 'preseed') expect(debconfCheck(out.answer!.path)).toEqual({ ok: true, stderr: '' });
        const hostnames = [...text.matchAll(/(?:--hostname=|get_hostname string |netcfg\/hostname string |hostname: |<hostname>)([^\s<]+)/g)].map((m) => m[1]);
        expect(hostnames.length).toBeGreaterThan(0);
        for (const h of hostnames) expect(h).toMatch(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/);
      }
      // Every round renders and reads the file back with Python (YAML, XML): slow on a loaded machine.
    }, 120_000);
  }
});

/** A document whose TDL now holds `password` verbatim (past tdl-validate, as a changed or hand-made TDL would). */
function withRawRootpw(dir: string, password: string): DocumentWith<'workdir' | 'template'> {
  const doc = documentFor(dir, { os: 'Debian', version: '12', rootpw: 'placeholder' });
  const path = doc.template!.source.path;
  const xml = readFileSync(path, 'utf8').replace('placeholder', password);
  writeFileSync(path, xml);
  doc.template!.source.sha256 = createHash('sha256').update(xml).digest('hex');
  return doc;
}

describe('root passwords that cannot be used are refused, not guessed at', () => {
  for (const [what, password] of [
    ['a line break', 'first\nsecond'],
    ['a tab', 'a\tb'],
    ['a DEL character', 'a\u007fb'],
  ] as const)
    it(`refuses ${what} (exit 65, TDL line named, nothing written)`, async () => {
      const dir = scratch.dir();
      const doc = withRawRootpw(dir, password);
      await expect(renderAnswer(doc)).rejects.toMatchObject({ code: 'BAD_TDL', exitCode: 65, location: { file: doc.template!.source.path, line: 7 } });
      expect(existsSync(join(dir, 'work'))).toBe(false);
    });
});

describe('install URLs', () => {
  it('refuses a URL that could break out of the kickstart url command', async () => {
    const dir = scratch.dir();
    const doc = documentFor(dir, { os: 'Rocky-9', version: '9', install: '<install type="url"><url>http://mirror.example.org/rocky/</url></install>' });
    (doc.template!.os.install as { url: string }).url = 'http://mirror.example.org/" --noverifyssl\n%post\nreboot\n%end\n#';
    await expect(renderAnswer(doc)).rejects.toMatchObject({ code: 'BAD_TDL', exitCode: 65 });
    expect(existsSync(join(dir, 'work'))).toBe(false);
  });
});
