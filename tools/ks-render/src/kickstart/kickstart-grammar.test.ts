import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { OzkitErrorList, type OzkitError } from '@ozkit/errors';
import { Logger } from '@ozkit/log';
import { renderAnswer } from '../render-answer.js';
import { documentFor, Scratch } from '../ks-render.test-support.js';
import { checkKickstartGrammar } from './kickstart-grammar-check.js';
import { kickstartGrammarTable, kickstartRelease, kickstartReleaseFor } from './kickstart-grammar.js';
import { fixKickstart } from './kickstart-fix.js';
import { parseKickstart } from './kickstart-syntax.js';

const scratch = new Scratch();
afterEach(() => scratch.cleanup());
const example = (name: string) => new URL(`../../../../examples/centos-7/${name}`, import.meta.url).pathname;

function capture(): { logger: Logger; text: () => string } {
  const lines: string[] = [];
  const logger = new Logger({ tool: 'ks-render', stream: { write: (s: string) => (lines.push(s), true), isTTY: false } as never });
  return { logger, text: () => lines.join('') };
}

async function failure(promise: Promise<unknown>): Promise<OzkitError[]> {
  try {
    await promise;
  } catch (error) {
    return error instanceof OzkitErrorList ? error.errors : [error as OzkitError];
  }
  throw new Error('expected a failure');
}

const check = (release: string, text: string) => checkKickstartGrammar(parseKickstart(text), kickstartRelease(release));
const BASE = 'text\nlang en_US.UTF-8\nkeyboard us\ntimezone UTC\nrootpw --lock\nzerombr\nclearpart --all --initlabel\n';

describe('the kickstart grammar table', () => {
  it('names the pykickstart version and commit it reflects, and has RHEL 7–10 and Fedora 30 onwards', () => {
    const t = kickstartGrammarTable();
    expect(t.source.pykickstart).toMatch(/^\d+\.\d+/);
    expect(t.source.commit).toMatch(/^[0-9a-f]{40}$/);
    for (const r of ['RHEL7', 'RHEL8', 'RHEL9', 'RHEL10', 'F30', 'F36', 'F43']) expect(Object.keys(t.releases)).toContain(r);
  });

  it('maps RHEL rebuilds onto RHEL<major> and newer Fedoras onto the newest table', () => {
    expect(kickstartReleaseFor({ distro: 'rocky', major: 9 })?.name).toBe('RHEL9');
    expect(kickstartReleaseFor({ distro: 'centos', major: 7 })?.name).toBe('RHEL7');
    expect(kickstartReleaseFor({ distro: 'fedora', major: 40 })?.name).toBe('F40');
    const future = kickstartReleaseFor({ distro: 'fedora', major: 43, fallbackFrom: '99' });
    expect(future?.name).toMatch(/^F\d+$/);
    expect(future?.fallbackFrom).toBe('99');
  });
});

describe('release grammar: the mistakes found only twenty minutes into an install', () => {
  const cases: [string, string, string, RegExp, RegExp][] = [
    ['zerombr yes', 'RHEL7', 'zerombr yes\n', /^"zerombr" takes no arguments \("yes"\)$/, /write just "zerombr"/],
    ['Text (case)', 'RHEL7', 'Text\n', /^unknown command "Text" for RHEL7: kickstart commands are lower case$/, /write "text"/],
    ['--fstype misspelled', 'RHEL9', 'part / --fstpye=xfs --size=4096\n', /^part: unknown option "--fstpye" for RHEL9$/, /did you mean "--fstype"\?/],
    [
      'autopart with part',
      'RHEL9',
      'autopart\npart / --fstype=xfs --size=4096\n',
      /^"part" cannot be used together with "autopart" \(line \d+\)$/,
      /keep part or autopart/,
    ],
    ['auth on RHEL 9', 'RHEL9', 'auth --useshadow --passalgo=sha512\n', /^"auth" is deprecated in RHEL9 and no longer configures anything there/, /authselect/],
    ['install on RHEL 9', 'RHEL9', 'install\n', /^"install" was removed from kickstart before RHEL9$/, /drop it/],
    ['option without its value', 'RHEL9', 'network --bootproto\n', /^network: --bootproto needs a value$/, /--bootproto=VALUE/],
    [
      'a choice that does not exist',
      'RHEL9',
      'network --bootproto=dhcpp\n',
      /^network: --bootproto "dhcpp" is not one of bootp, dhcp, ibft, query, static$/,
      /use one of/,
    ],
    ['timezone twice', 'RHEL9', 'timezone Europe/Berlin\n', /^"timezone" given again \(first on line 4\)/, /keep one/],
    ['text with graphical', 'RHEL9', 'graphical\n', /^"graphical" contradicts "text" on line 1/, /keep one/],
    [
      'a network device twice',
      'RHEL9',
      'network --device=eth0\nnetwork --device=eth0 --bootproto=dhcp\n',
      /^network "eth0" is already defined on line \d+$/,
      /merge/,
    ],
    ['unknown section', 'RHEL9', '%postinstall\n%end\n', /^unknown section %postinstall for RHEL9$/, /did you mean "%post"\?/],
    ['relative interpreter', 'RHEL9', '%post --interpreter python3\n%end\n', /--interpreter "python3" is not an absolute path/, /--interpreter=\/usr\/bin\/python3/],
    ['%include nothing writes', 'RHEL9', '%include /tmp/part-include\n', /^%include \/tmp\/part-include: no %pre script writes this file/, /%pre/],
  ];
  for (const [what, release, extra, message, hint] of cases) {
    it(`${what} (${release}): located, with a hint`, () => {
      const text = BASE + extra;
      const r = check(release, text);
      const problem = r.errors.find((e) => message.test(e.message));
      expect(problem, JSON.stringify(r.errors)).toBeDefined();
      expect(problem!.line).toBeGreaterThan(0);
      expect(problem!.column).toBeGreaterThan(0);
      expect(problem!.hint).toMatch(hint);
    });
  }

  it('accepts what each release accepts: an unambiguous prefix, the newer options only where they exist', () => {
    expect(check('RHEL9', BASE + 'part / --fstyp=xfs --size=1 --grow\n').errors).toEqual([]);
    expect(check('RHEL9', BASE + 'authselect select sssd\n').errors).toEqual([]);
    expect(check('RHEL7', BASE + 'auth --useshadow --passalgo=sha512\n').errors).toEqual([]);
    expect(check('RHEL7', 'timesource --ntp-server=ntp.example.org\n').errors[0].message).toBe('unknown command "timesource" for RHEL7');
    expect(check('RHEL9', 'timesource --ntp-server=ntp.example.org\n').errors).toEqual([]);
  });

  it('deprecated options and commands are warnings with the replacement', () => {
    const r = check('RHEL9', BASE + 'autopart\n%packages --instLangs=en_US\n@core\n%end\n');
    expect(r.errors).toEqual([]);
    expect(r.warnings.find((w) => w.rule === 'deprecated-option')).toMatchObject({ line: 9, hint: 'write --inst-langs instead' });
  });
});

describe('the CentOS 7 example and its mistakes fixture', () => {
  it('examples/centos-7/centos-7.ks passes the RHEL 7 grammar', () => {
    const r = check('RHEL7', readFileSync(example('centos-7.ks'), 'utf8'));
    expect(r.errors).toEqual([]);
  });

  it('centos-7-mistakes.ks: every mistake at once, exit 65, FILE:LINE:COL and a hint, nothing written', async () => {
    const dir = scratch.dir();
    const file = example('centos-7-mistakes.ks');
    const errors = await failure(renderAnswer(documentFor(dir, { os: 'CentOS-7', version: '9' }), { autoFile: file }));
    const messages = errors.map((e) => e.message);
    expect(messages).toEqual(
      expect.arrayContaining([
        `${file}:4:1: unknown command "Text" for RHEL7: kickstart commands are lower case`,
        `${file}:5:9: "zerombr" takes no arguments ("yes")`,
        expect.stringMatching(new RegExp(`^${file}:15:1: "part" cannot be used together with "autopart" \\(line 14\\)$`)),
        `${file}:15:8: part: unknown option "--fstpe" for RHEL7`,
        expect.stringMatching(new RegExp(`^${file}:21:1: "--erroronfail" is an option on a line of its own`)),
      ]),
    );
    expect(errors.every((e) => e.exitCode === 65 && e.hint)).toBe(true);
    expect(existsSync(join(dir, 'work'))).toBe(false);
  });

  it('--fix repairs the mechanical ones in the workdir copy, reports each, leaves the file as it was; the rest still refuse', async () => {
    const dir = scratch.dir();
    const source = readFileSync(example('centos-7-mistakes.ks'), 'utf8');
    const file = join(dir, 'mistakes.ks');
    writeFileSync(file, source.replace('autopart --type=lvm\n', '').replace('--fstpe', '--fstype'));
    const log = capture();
    const out = await renderAnswer(documentFor(dir, { os: 'CentOS-7', version: '9' }), { autoFile: file, fix: true, logger: log.logger });
    expect(readFileSync(file, 'utf8')).toBe(source.replace('autopart --type=lvm\n', '').replace('--fstpe', '--fstype'));
    expect(log.text()).toContain(`${file}:4: fixed: "Text" → "text"`);
    expect(log.text()).toContain(`${file}:5: fixed: removed "yes" from zerombr`);
    expect(log.text()).toMatch(new RegExp(`${file}:20: fixed: joined "--erroronfail" to line 21`));
    const written = readFileSync(out.answer!.path, 'utf8').split('\n');
    expect(written[3]).toBe('text');
    expect(written[4]).toBe('zerombr');
    expect(written[20]).toBe('%post --log=/root/ks-post.log --erroronfail');

    const refused = await failure(renderAnswer(documentFor(dir, { os: 'CentOS-7', version: '9' }), { autoFile: example('centos-7-mistakes.ks'), fix: true }));
    expect(refused.map((e) => e.message).join('\n')).toMatch(/"part" cannot be used together with "autopart"/);
    expect(refused.map((e) => e.message).join('\n')).not.toMatch(/"Text"/);
  });

  it('fixKickstart keeps every line number (a dropped line becomes a comment)', () => {
    const fixed = fixKickstart('zerombr\nzerombr\nText\n', kickstartRelease('RHEL9'));
    expect(fixed.text.split('\n')).toHaveLength(4);
    expect(fixed.text).toBe('zerombr\n# ks-render --fix: dropped the repetition of line 1\ntext\n');
  });

  it('--lint warn reports grammar errors as warnings and goes on; --lint off does not check the grammar', async () => {
    const dir = scratch.dir();
    const file = join(dir, 'z.ks');
    writeFileSync(file, BASE + 'zerombr yes\nautopart\n');
    const log = capture();
    await renderAnswer(documentFor(dir, { os: 'RHEL-9', version: '4' }), { autoFile: file, lint: 'warn', logger: log.logger });
    expect(log.text()).toMatch(new RegExp(`warning: ${file}:8:9: "zerombr" takes no arguments`));
    const quiet = capture();
    await renderAnswer(documentFor(scratch.dir(), { os: 'RHEL-9', version: '4' }), { autoFile: file, lint: 'off', logger: quiet.logger });
    expect(quiet.text()).not.toMatch(/takes no arguments/);
  });
});
