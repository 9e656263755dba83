import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderAnswer } from '../render-answer.js';
import { documentFor, TEST_MIRRORS } from '../ks-render.test-support.js';
import { debconfCheck } from '../answer-checks.test-support.js';
import { lintPreseed } from './render-preseed.js';
import { parsePreseed } from './preseed-syntax.js';

const scratch = mkdtempSync(join(tmpdir(), 'preseed-check-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const fixture = (name: string) => new URL(`../../test-fixtures/${name}`, import.meta.url).pathname;
const lint = (text: string) => lintPreseed(text, { customizationFollows: false, requirePoweroff: false });

/** debconf-set-selections -c: refused when it exits non-zero or warns (a warned line is skipped). */
function debconfRefuses(text: string, name: string): { refused: boolean; said: string } {
  const path = join(scratch, name.replace(/[^a-z0-9.-]/gi, '_'));
  writeFileSync(path, text);
  const r = debconfCheck(path);
  return { refused: !r.ok, said: r.stderr.trim() };
}

const MUTATIONS: [string, (t: string) => string | undefined][] = [
  ['unknown-type', (t) => t.replace(/^(d-i \S+) string /m, '$1 strng ')],
  ['no-type', (t) => `${t}d-i netcfg/get_domain\n`],
  ['owner-only', (t) => `${t}d-i\n`],
  ['type-as-question', (t) => `${t}netcfg/get_domain string example.org\n`],
  ['late-command-two-lines', (t) => `${t}d-i preseed/late_command string in-target true;\nin-target apt-get clean\n`],
  ['late-command-continued', (t) => `${t}d-i preseed/late_command string in-target true; \\\n    in-target apt-get clean\n`],
  ['boolean-yes', (t) => `${t}d-i netcfg/disable_autoconfig boolean yes\n`],
  ['misspelled-question', (t) => `${t}d-i netcfg/get_hostnme string ozkit\n`],
  ['unknown-partman-confirm', (t) => t.replace(/^d-i partman\/confirm_nooverwrite .*$/m, '')],
  ['mirror-no-directory', (t) => t.replace(/^d-i mirror\/http\/directory .*$/m, '')],
  ['pkgsel-bad-name', (t) => t.replace(/^(d-i pkgsel\/include string .*)$/m, '$1 Curl;wget')],
  ['comment-only', (t) => `${t}# just a comment\n`],
  ['indented', (t) => `${t}   d-i netcfg/get_domain string example.org\n`],
  ['empty-value', (t) => `${t}d-i mirror/http/proxy string\n`],
  ['tab-separated', (t) => `${t}d-i\tnetcfg/get_domain\tstring\texample.org\n`],
];

/** Problems debconf-set-selections cannot know about: d-i semantics and question names. */
const D_I_ONLY = /partman|mirror\/http|pkgsel\/include|d-i has no question|a boolean must be/;

let cases: { id: string; text: string }[] = [];
beforeAll(async () => {
  const seeds: { id: string; text: string }[] = [{ id: 'user-debian-12', text: readFileSync(fixture('debian-12-user.seed'), 'utf8') }];
  for (const [os, version] of [
    ['Debian', '12'],
    ['Ubuntu', '18.04'],
  ]) {
    const dir = mkdtempSync(join(scratch, 'seed-'));
    const doc = await renderAnswer(documentFor(dir, { os, version, rootpw: 'corpus' }), { mirrors: TEST_MIRRORS });
    seeds.push({ id: `default-${os}-${version}`, text: readFileSync(doc.answer!.path, 'utf8') });
  }
  cases = seeds.flatMap((s) => [
    s,
    ...MUTATIONS.map(([name, mutate]) => ({ id: `${s.id}~${name}`, text: mutate(s.text) })).filter((c): c is { id: string; text: string } => c.text !== undefined),
  ]);
}, 120_000);

describe('preseed: parity with debconf-set-selections -c', () => {
  it('refuses every line debconf-set-selections refuses, and refuses nothing else but d-i semantics', () => {
    expect(cases.length).toBeGreaterThanOrEqual(45);
    const silent: string[] = [];
    const extra: string[] = [];
    for (const c of cases) {
      const theirs = debconfRefuses(c.text, c.id);
      const ours = lint(c.text).errors;
      if (theirs.refused && ours.length === 0) silent.push(`${c.id}: ${theirs.said}`);
      if (!theirs.refused)
        for (const e of ours) if (!D_I_ONLY.test(e.message) && !/SSH server|power/.test(e.message)) extra.push(`${c.id}: ${e.line}: ${e.message}`);
    }
    expect(silent).toEqual([]);
    expect(extra).toEqual([]);
  }, 300_000);

  it("ks-render's own default preseeds pass both debconf-set-selections and the d-i checks", () => {
    for (const c of cases.filter((c) => !c.id.includes('~') && c.id.startsWith('default-'))) {
      expect(debconfRefuses(c.text, c.id).refused, c.id).toBe(false);
      expect(lint(c.text).errors, c.id).toEqual([]);
    }
  });
});

describe('preseed: the d-i semantics that stall an install', () => {
  const user = () => readFileSync(fixture('debian-12-user.seed'), 'utf8');

  it('a misspelled question d-i has is refused with the right name (from the d-i templates)', () => {
    const e = lint(`${user()}d-i netcfg/get_hostnme string ozkit\n`).errors.find((x) => x.message.includes('get_hostnme'));
    expect(e).toMatchObject({ line: user().split('\n').length, column: 5, hint: 'did you mean netcfg/get_hostname?' });
    expect(e!.message).toMatch(/d-i has no question netcfg\/get_hostnme \(debian-installer-12-netboot-amd64 [^)]+\)/);
  });

  it('a partman recipe without the confirmations', () => {
    const text = user().replace(/^d-i partman\/confirm_nooverwrite .*\n/m, '');
    expect(lint(text).errors.map((e) => e.message)).toContain(
      'partman-auto/method (line 12) without "partman/confirm_nooverwrite boolean true": partman stops and asks',
    );
  });

  it('a late_command that goes on without a backslash', () => {
    const text = 'd-i preseed/late_command string in-target true;\nin-target apt-get clean\n';
    expect(lint(text).errors[0]).toMatchObject({
      line: 2,
      message: expect.stringMatching(/^preseed\/late_command \(line 1\) goes on here without a backslash at the end of line 1/),
    });
    expect(parsePreseed('d-i preseed/late_command string a; \\\n b\n').errors).toEqual([]);
  });

  it('a mirror without its directory, a manual country without a host', () => {
    expect(lint('d-i mirror/http/hostname string mirror.example.org\n').errors[0].message).toMatch(/^mirror\/http\/hostname without mirror\/http\/directory/);
    expect(lint('d-i mirror/country string manual\n').errors.map((e) => e.message)).toContain(
      'mirror/country manual without mirror/http/hostname: d-i asks for the mirror',
    );
  });

  it('pkgsel/include with characters apt refuses', () => {
    const e = lint('d-i pkgsel/include string openssh-server Curl;wget\n').errors[0];
    expect(e).toMatchObject({ line: 1, column: 42, message: 'pkgsel/include: "Curl;wget" is not a package name apt accepts' });
    expect(lint('d-i pkgsel/include string openssh-server, curl vim:amd64 libc6=2.36-9\n').errors).toEqual([]);
  });

  it('--lint warn turns them into warnings, --lint off skips them', () => {
    const text = 'd-i mirror/http/hostname string mirror.example.org\n';
    expect(lintPreseed(text, { customizationFollows: false, requirePoweroff: false, lint: 'warn' }).errors).toEqual([]);
    expect(lintPreseed(text, { customizationFollows: false, requirePoweroff: false, lint: 'off' }).warnings.some((w) => /mirror/.test(w.message))).toBe(false);
  });
});
