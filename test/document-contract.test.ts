/**
 * The contract at the pipe, through the real CLIs: a document hand-edited to put a wrong type
 * in any key a stage reads is refused (65) with the key path and the stage that wrote the key;
 * a failure document never lets a later stage exit 0.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { KEY_WRITERS, type BuildDocument } from '@ozkit/build-document';
import { debianDocument } from '../tools/icicle-gen/src/sbom.test-support.js';
import { STAGES } from './support/stage-declarations.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const work = mkdtempSync(join(tmpdir(), 'ozkit-contract-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function runTool(tool: string, doc: unknown) {
  const r = spawnSync(process.execPath, [join(repoRoot, 'tools', tool, 'bin', `${tool}.js`)], {
    input: JSON.stringify(doc),
    encoding: 'utf8',
    env: { ...process.env, OZKIT_CONFIG: '/dev/null', OZKIT_CACHE_DIR: join(work, 'cache') },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A document with every key, each written by its stage (as the stage records say). */
function fullDocument(): BuildDocument {
  const doc = debianDocument(join(work, 'build'));
  doc.disk = {
    path: join(work, 'build', 'debian12-web.qcow2'),
    format: 'qcow2',
    virtualSize: 1 << 30,
    bus: 'virtio',
    accel: 'tcg',
    installSeconds: 1,
    consoleLog: join(work, 'build', 'install-console.log'),
    markerSeen: true,
    buildKey: { privateKey: join(work, 'build', 'key'), publicKey: join(work, 'build', 'key.pub') },
    firmware: 'bios',
  };
  const record = (tool: string, produced: string[]) => ({ tool, version: '0.1.0', startedAt: '2026-01-01T00:00:00.000Z', seconds: 1, produced });
  doc.stages = [
    record('tdl-validate', ['workdir', 'template']),
    record('ks-render', ['answer']),
    record('iso-fetch', ['media']),
    record('guest-install', ['disk']),
    record('guest-customize', ['customize']),
  ];
  return doc;
}

function setAt(doc: Record<string, unknown>, path: string, value: unknown): void {
  const names = path.split('.');
  let at = doc;
  for (const name of names.slice(0, -1)) at = at[name] as Record<string, unknown>;
  at[names.at(-1)!] = value;
}

/** For every stage that reads a document: each key (or key path) it needs or uses, given a number instead. */
const cases = STAGES.filter((s) => s.name !== 'tdl-validate').flatMap((stage) =>
  [...stage.needs, ...(stage.uses ?? [])].map((path) => ({ tool: stage.name, path, readsFailures: stage.readsFailures === true })),
);

describe('a wrong type in any key a stage reads', () => {
  it('covers every reading stage', () => {
    expect(new Set(cases.map((c) => c.tool))).toEqual(
      new Set(['ks-render', 'iso-fetch', 'guest-install', 'guest-customize', 'icicle-gen', 'image-verify', 'ppm2png']),
    );
  });

  it.each(cases)('$tool refuses $path = 42 with the key path and its writer (exit 65)', ({ tool, path, readsFailures }) => {
    const doc = fullDocument() as unknown as Record<string, unknown>;
    if (readsFailures) doc.failure = { stage: 'guest-install', code: 'TIMEOUT', message: 'install timed out', exitCode: 75, screenshots: [] };
    setAt(doc, path, 42);
    const r = runTool(tool, doc);
    const key = path.split('.')[0];
    const writer = key === 'failure' ? 'guest-install' : KEY_WRITERS[key as keyof typeof KEY_WRITERS];
    expect(r.code, r.stderr).toBe(65);
    const line = new RegExp(`^${tool}: ${path.replace(/\./g, '\\.')}: must be [^\\n]* \\(got 42\\) \\(written by ${writer}\\)$`, 'm');
    expect(r.stderr).toMatch(line);
    expect(r.stderr).toMatch(new RegExp(`^${tool}: hint: `, 'm'));
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it.each([
    ['ks-render', 'template.os.arch', 'sparc', /template\.os\.arch: must be one of "i386", .* \(got "sparc"\) \(written by tdl-validate\)/],
    ['iso-fetch', 'answer.placement.onIso', 'ks.cfg', /answer\.placement\.onIso: must be an absolute path \(got "ks\.cfg"\) \(written by ks-render\)/],
    ['guest-install', 'media.boot.method', 'floppy', /media\.boot\.method: must be one of "iso", "kernel" \(got "floppy"\) \(written by iso-fetch\)/],
    ['guest-install', 'media.boot.iso', 7, /media\.boot\.iso: must be an absolute path \(got 7\) \(written by iso-fetch\)/],
    ['guest-customize', 'disk.buildKey.privateKey', false, /disk\.buildKey\.privateKey: must be an absolute path \(got false\) \(written by guest-install\)/],
    ['guest-customize', 'template.packages', 'nginx', /template\.packages: must be an array \(got "nginx"\) \(written by tdl-validate\)/],
    ['icicle-gen', 'customize.inventory.format', 'apk', /customize\.inventory\.format: must be one of "rpm", "deb" \(got "apk"\) \(written by guest-customize\)/],
  ] as const)('%s refuses a nested %s', (tool, path, value, message) => {
    const doc = fullDocument() as unknown as Record<string, unknown>;
    setAt(doc, path, value);
    const r = runTool(tool, doc);
    expect(r.code, r.stderr).toBe(65);
    expect(r.stderr).toMatch(message);
  });

  it('ks-render with a non-string workdir is bad data (65), not a bug (70)', () => {
    const doc = fullDocument();
    delete (doc as Record<string, unknown>).answer;
    (doc as Record<string, unknown>).workdir = { path: '/tmp' };
    const r = runTool('ks-render', doc);
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(/^ks-render: workdir: must be an absolute path \(got an object\) \(written by tdl-validate\)$/m);
    expect(JSON.parse(r.stdout).failure).toMatchObject({ stage: 'ks-render', code: 'BAD_DOCUMENT', exitCode: 65 });
  });
});

describe('a failure document', () => {
  it.each([0, 256, -1, 1.5, '75'])('with exitCode %s makes every later stage exit non-zero (65), passed on untouched', (exitCode) => {
    const failed = { ...fullDocument(), failure: { stage: 'guest-install', code: 'TIMEOUT', message: 'install timed out', exitCode } };
    for (const tool of ['guest-customize', 'icicle-gen', 'ks-render']) {
      const r = runTool(tool, failed);
      expect(r.code, `${tool}: ${r.stderr}`).toBe(65);
      expect(r.stderr).toMatch(new RegExp(`^${tool}: not run: the document records a failure, but failure\\.exitCode: must be an integer from 1 to 255`, 'm'));
      expect(JSON.parse(r.stdout).failure.exitCode).toEqual(exitCode);
    }
  });

  it('with a valid exitCode: later stages exit with it', () => {
    const failed = { ...fullDocument(), failure: { stage: 'guest-install', code: 'TIMEOUT', message: 'install timed out', exitCode: 75 } };
    for (const tool of ['guest-customize', 'icicle-gen']) expect(runTool(tool, failed).code).toBe(75);
  });
});
