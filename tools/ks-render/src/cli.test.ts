import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CUSTOMIZE_BODY, documentFor, Scratch } from './ks-render.test-support.js';

const BIN = new URL('../bin/ks-render.js', import.meta.url).pathname;
const scratch = new Scratch();
afterEach(() => scratch.cleanup());

// The archive setting is given so no test depends on the host's apt sources.
function run(args: string[], input?: string, env: NodeJS.ProcessEnv = { OZKIT_DEBIAN_MIRROR: 'http://mirror.example/debian' }) {
  const r = spawnSync(process.execPath, [BIN, ...args], { input: input ?? '', encoding: 'utf8', timeout: 30_000, env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('ks-render CLI', () => {
  it('reads the document on stdin, writes it with "answer" on stdout (one line), exit 0', () => {
    const dir = scratch.dir();
    const doc = documentFor(dir, { os: 'Debian', version: '12', rootpw: 'pw' });
    const r = run([], JSON.stringify(doc));
    expect(r.code).toBe(0);
    expect(r.stdout.endsWith('\n')).toBe(true);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    const out = JSON.parse(r.stdout);
    expect(out.answer.format).toBe('preseed');
    expect(out.stages.at(-1).tool).toBe('ks-render');
    expect(existsSync(out.answer.path)).toBe(true);
    expect(r.stderr).toMatch(/^ks-render: rendered preseed for Debian 12: .*preseed\.cfg$/m);
    expect(r.stdout + r.stderr).not.toContain('"pw"');
    expect(readFileSync(out.answer.path, 'utf8')).toMatch(/^d-i mirror\/http\/hostname string mirror\.example\nd-i mirror\/http\/directory string \/debian$/m);
  });

  it('takes the archive from [ozkit] ubuntu_mirror; a bad OZKIT_DEBIAN_MIRROR is exit 65 in one line', () => {
    const dir = scratch.dir();
    const config = join(dir, 'ozkit.cfg');
    writeFileSync(config, '[ozkit]\nubuntu_mirror = http://ubuntu.mirror.example/pub/ubuntu/\n');
    const r = run(['-c', config], JSON.stringify(documentFor(dir, { os: 'Ubuntu', version: '18.04' })), { OZKIT_UBUNTU_MIRROR: '' });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(JSON.parse(r.stdout).answer.path, 'utf8')).toMatch(
      /^d-i mirror\/http\/hostname string ubuntu\.mirror\.example\nd-i mirror\/http\/directory string \/pub\/ubuntu$/m,
    );
    expect(r.stderr).toContain(`archive mirror ubuntu.mirror.example/pub/ubuntu (from OZKIT_UBUNTU_MIRROR / [ozkit] ubuntu_mirror)`);
    const bad = run([], JSON.stringify(documentFor(scratch.dir(), { os: 'Debian', version: '12' })), { OZKIT_DEBIAN_MIRROR: 'mirror.example' });
    expect(bad.code).toBe(65);
    expect(bad.stderr).toMatch(/^ks-render: \$OZKIT_DEBIAN_MIRROR: "mirror.example" is not an http\(s\) mirror URL \(e\.g\. http:\/\/mirror\.example\/debian\)$/m);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });

  it('--auto / -a and --in / --out', () => {
    const dir = scratch.dir();
    const doc = documentFor(dir, { os: 'CentOS-7', version: '9' });
    const inFile = join(dir, 'in.json');
    const outFile = join(dir, 'out.json');
    writeFileSync(inFile, JSON.stringify(doc));
    const fixture = new URL('../test-fixtures/centos-7-seed.ks', import.meta.url).pathname;
    const r = run(['-a', fixture, '--in', inFile, '--out', outFile, '--lint', 'warn']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const out = JSON.parse(readFileSync(outFile, 'utf8'));
    expect(out.answer.user).toBe(true);
    expect(r.stderr).toMatch(/"reboot" became "poweroff"/);
    const q = run(['--auto', fixture, '--in', inFile, '-q', '--lint', 'warn']);
    expect(q.code).toBe(0);
    expect(q.stderr).toBe('');
  });

  it('unknown OS: exit 65, one clean line naming the supported OSes and --auto, failure in the document', () => {
    const dir = scratch.dir();
    const r = run([], JSON.stringify(documentFor(dir, { os: 'Slackware', version: '15' })));
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(/^ks-render: no default answer file for Slackware 15: unknown operating system "Slackware"$/m);
    expect(r.stderr).toMatch(/^ks-render: hint: supported: RHEL-7, .*Rocky-9.*AlmaLinux-9.*Debian.*Ubuntu.*--auto FILE$/m);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const out = JSON.parse(r.stdout);
    expect(out.failure).toMatchObject({ stage: 'ks-render', code: 'BAD_TDL' });
    expect(existsSync(join(dir, 'work'))).toBe(false);
  });

  it('a broken --auto file: exit 65 with FILE:LINE:COL, nothing written', () => {
    const dir = scratch.dir();
    const bad = join(dir, 'bad.ks');
    writeFileSync(bad, 'text\n%packages\n@core\n');
    const r = run(['--auto', bad], JSON.stringify(documentFor(dir, { os: 'Rocky-9', version: '9', body: CUSTOMIZE_BODY })));
    expect(r.code).toBe(65);
    expect(r.stderr).toContain(`ks-render: ${bad}:2:1: %packages section is never closed with %end`);
    expect(existsSync(join(dir, 'work'))).toBe(false);
  });

  it('exit 66 for a missing --auto file, 64 for usage errors, 65 for no document', () => {
    const dir = scratch.dir();
    const doc = JSON.stringify(documentFor(dir, { os: 'Debian', version: '12' }));
    expect(run(['--auto', join(dir, 'missing.seed')], doc).code).toBe(66);
    const usage = run(['--bogus'], doc);
    expect(usage.code).toBe(64);
    expect(usage.stderr).toMatch(/Unknown argument: bogus/);
    expect(run(['stray.tdl'], doc).code).toBe(64);
    expect(run([], '').code).toBe(65);
    expect(run([], JSON.stringify({ ozkit: 1, stages: [] })).stderr).toMatch(/no "template".*\n.*hint: run tdl-validate/);
  });

  it('passes an earlier failure on untouched', () => {
    const failed = { ozkit: 1, stages: [], failure: { stage: 'tdl-validate', code: 'BAD_TDL', message: 'bad', exitCode: 65 } };
    const r = run([], JSON.stringify(failed));
    expect(r.code).toBe(65);
    expect(JSON.parse(r.stdout).failure.stage).toBe('tdl-validate');
  });

  it('--help has examples; --log-format json gives NDJSON on stderr', () => {
    const help = run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Examples:/);
    expect(help.stdout).toMatch(/--auto/);
    const dir = scratch.dir();
    const r = run(['--log-format', 'json'], JSON.stringify(documentFor(dir, { os: 'Ubuntu', version: '22.04' })));
    expect(r.code).toBe(0);
    for (const line of r.stderr.trim().split('\n')) expect(JSON.parse(line)).toMatchObject({ tool: 'ks-render' });
  });

  it('-c FILE is read: missing → 66, a bad [ozkit] lint → 65 located, lint = warn lets a grammar error through as a warning', () => {
    const dir = scratch.dir();
    const ks = join(dir, 'z.ks');
    writeFileSync(ks, 'text\nlang en_US.UTF-8\nkeyboard us\ntimezone UTC\nzerombr yes\nautopart\n');
    const doc = JSON.stringify(documentFor(dir, { os: 'RHEL-9', version: '4' }));
    const missing = run(['-c', join(dir, 'nope.cfg'), '--auto', ks], doc);
    expect(missing.code).toBe(66);
    expect(missing.stderr).toMatch(/^ks-render: .*nope\.cfg: cannot read config file: ENOENT$/m);
    const broken = join(dir, 'broken.cfg');
    writeFileSync(broken, '[ozkit]\nlint = sometimes\n');
    const bad = run(['-c', broken, '--auto', ks], doc);
    expect(bad.code).toBe(65);
    expect(bad.stderr).toMatch(/broken\.cfg:2:1: \[ozkit\] lint: "sometimes" must be one of error, warn, off/);
    const refused = run(['--auto', ks], doc);
    expect(refused.code).toBe(65);
    expect(refused.stderr).toMatch(/z\.ks:5:9: "zerombr" takes no arguments \("yes"\)\nks-render: hint: write just "zerombr" \(or run with --fix\)/);
    const lenient = join(dir, 'warn.cfg');
    writeFileSync(lenient, '[ozkit]\nlint = warn\n');
    const warned = run(['-c', lenient, '--auto', ks], doc);
    expect(warned.code).toBe(0);
    expect(warned.stderr).toMatch(/warning: .*z\.ks:5:9: "zerombr" takes no arguments/);
    expect(run(['--lint', 'error', '-c', lenient, '--auto', ks], doc).code).toBe(65);
    const usage = run(['--lint', 'sometimes'], doc);
    expect(usage.code).toBe(64);
  });

  it('--fix: the repaired copy goes into the workdir, each repair on stderr as FILE:LINE: fixed: …', () => {
    const dir = scratch.dir();
    const ks = join(dir, 'z.ks');
    const text = 'Text\nlang en_US.UTF-8\nkeyboard us\ntimezone UTC\nzerombr yes\nautopart\n';
    writeFileSync(ks, text);
    const r = run(['--auto', ks, '--fix'], JSON.stringify(documentFor(dir, { os: 'RHEL-9', version: '4' })));
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`${ks}:1: fixed: "Text" → "text"`);
    expect(r.stderr).toContain(`${ks}:5: fixed: removed "yes" from zerombr`);
    expect(readFileSync(ks, 'utf8')).toBe(text);
    expect(readFileSync(JSON.parse(r.stdout).answer.path, 'utf8')).toMatch(/^text\nlang en_US.UTF-8\nkeyboard us\ntimezone UTC\nzerombr\nautopart\n/);
  });
});
