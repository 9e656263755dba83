import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { debianDocument } from './sbom.test-support.js';

const bin = new URL('../bin/icicle-gen.js', import.meta.url).pathname;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(args: string[], stdin?: string, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [bin, ...args], { env: { ...process.env, SOURCE_DATE_EPOCH: '', ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    child.stdin!.end(stdin ?? '');
  });
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'icicle-gen-cli-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('icicle-gen CLI', () => {
  it('writes icicle.xml into the workdir and records it in the document', async () => {
    const doc = debianDocument(dir);
    const r = await run([], JSON.stringify(doc));
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.icicle).toMatchObject({ xml: join(dir, 'icicle.xml'), packages: 6, format: 'deb', source: 'document' });
    expect(out.stages.at(-1).tool).toBe('icicle-gen');
    expect(out.customize).toEqual(JSON.parse(JSON.stringify(doc.customize)));
    const xml = readFileSync(join(dir, 'icicle.xml'), 'utf8');
    expect(xml).toBe(
      '<icicle>\n  <description>Debian 12 with nginx</description>\n  <packages>\n' +
        ['libc6:amd64', 'libc6:i386', 'nginx', 'openssh-server', 'libstdc++6:amd64', 'removed-thing'].map((n) => `    <package name="${n}"/>\n`).join('') +
        '  </packages>\n</icicle>\n',
    );
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('--format both writes both SBOMs and lists them', async () => {
    const r = await run(['-f', 'both'], JSON.stringify(debianDocument(dir)));
    expect(r.code, r.stderr).toBe(0);
    const icicle = JSON.parse(r.stdout).icicle;
    expect(icicle.sbom).toEqual({ format: 'cyclonedx', path: join(dir, 'sbom.cdx.json') });
    expect(icicle.sboms).toEqual([
      { format: 'cyclonedx', path: join(dir, 'sbom.cdx.json') },
      { format: 'spdx', path: join(dir, 'sbom.spdx.json') },
    ]);
    expect(JSON.parse(readFileSync(join(dir, 'sbom.cdx.json'), 'utf8')).bomFormat).toBe('CycloneDX');
    expect(JSON.parse(readFileSync(join(dir, 'sbom.spdx.json'), 'utf8')).spdxVersion).toBe('SPDX-2.3');
  });

  it('--format spdx with --sbom-dir and -o FILE put the files where asked', async () => {
    const r = await run(['--format', 'spdx', '--sbom-dir', join(dir, 'sboms'), '-o', join(dir, 'out', 'manifest.xml')], JSON.stringify(debianDocument(dir)));
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(dir, 'sboms', 'sbom.spdx.json'))).toBe(true);
    expect(JSON.parse(r.stdout).icicle.xml).toBe(join(dir, 'out', 'manifest.xml'));
  });

  it('--stdout and -o - print the XML instead of the document', async () => {
    for (const flags of [['--stdout'], ['-o', '-']]) {
      const r = await run(flags, JSON.stringify(debianDocument(dir)));
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.startsWith('<icicle>\n')).toBe(true);
      expect(r.stdout.endsWith('</icicle>\n')).toBe(true);
    }
  });

  it('--stdout with --out also writes the document', async () => {
    const docFile = join(dir, 'build.json');
    writeFileSync(docFile, JSON.stringify(debianDocument(dir)));
    const r = await run(['--stdout', '--in', docFile, '--out', docFile]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('<package name="nginx"/>');
    expect(JSON.parse(readFileSync(docFile, 'utf8')).icicle.xml).toBe(join(dir, 'icicle.xml'));
  });

  it('exits 65 with a hint when the document has no inventory, passing a failure on', async () => {
    const doc = debianDocument(dir);
    delete (doc as Record<string, unknown>).customize;
    const r = await run([], JSON.stringify(doc));
    expect(r.code).toBe(65);
    expect(r.stderr).toContain('icicle-gen: build document has no customize.inventory');
    expect(r.stderr).toContain('hint: run guest-customize before icicle-gen');
    expect(r.stderr).not.toContain('    at ');
    expect(JSON.parse(r.stdout).failure).toMatchObject({ stage: 'icicle-gen', code: 'BAD_DOCUMENT', exitCode: 65 });
    expect(existsSync(join(dir, 'icicle.xml'))).toBe(false);
  });

  it('with [icicle] safe_generation, a document without inventory boots its image instead', async () => {
    const doc = debianDocument(dir);
    delete (doc as Record<string, unknown>).customize;
    doc.disk = { path: join(dir, 'missing.qcow2') } as never;
    const r = await run([], JSON.stringify(doc), { OZKIT_ICICLE_SAFE_GENERATION: 'yes' });
    expect(r.stderr).toContain('[icicle] safe_generation: booting the image on a throw-away overlay');
    expect(r.stderr).toContain(`${join(dir, 'missing.qcow2')}: image not found`);
    expect(r.code).toBe(66);
    const off = await run([], JSON.stringify(doc), { OZKIT_ICICLE_SAFE_GENERATION: 'no' });
    expect(off.code).toBe(65);
  });

  it('names every broken inventory field and writes nothing', async () => {
    const doc = debianDocument(dir);
    (doc.customize!.inventory as unknown as Record<string, unknown>).packages = [
      { name: '', version: '1', arch: 'x' },
      { name: 'a', version: 2, arch: 'x' },
    ];
    const r = await run(['-f', 'both'], JSON.stringify(doc));
    expect(r.code).toBe(65);
    expect(r.stderr).toContain('customize.inventory.packages[0].name: must be a non-empty string');
    expect(r.stderr).toContain('customize.inventory.packages[1].version: must be a string');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('exits 64 on a bad --format, 65 on a document that is not JSON', async () => {
    const bad = await run(['--format', 'xml'], JSON.stringify(debianDocument(dir)));
    expect(bad.code).toBe(64);
    expect(bad.stderr).toContain('--format xml: use cyclonedx, spdx or both');
    const notJson = await run([], '{"ozkit":1,');
    expect(notJson.code).toBe(65);
  });

  it('passes an earlier failure on without writing anything', async () => {
    const doc = { ...debianDocument(dir), failure: { stage: 'guest-customize', code: 'COMMAND_FAILED', message: 'command 2 failed', exitCode: 65 } };
    const r = await run([], JSON.stringify(doc));
    expect(r.code).toBe(65);
    expect(JSON.parse(r.stdout).failure.stage).toBe('guest-customize');
    expect(existsSync(join(dir, 'icicle.xml'))).toBe(false);
  });

  it('exits 74 when the XML cannot be written, leaving no SBOM half-done', async () => {
    const r = await run(['-f', 'cyclonedx', '-o', '/proc/ozkit-no-such-dir/icicle.xml'], JSON.stringify(debianDocument(dir)));
    expect(r.code).toBe(74);
    expect(r.stderr).toContain('/proc/ozkit-no-such-dir/icicle.xml: cannot write');
    expect(readdirSync(dir)).toEqual([]);
    writeFileSync(join(dir, 'plain-file'), '');
    const underFile = await run(['-o', join(dir, 'plain-file', 'icicle.xml')], JSON.stringify(debianDocument(dir)));
    expect(underFile.code).toBe(74);
    expect(underFile.stderr).toContain('plain-file is not a directory');
    expect(readdirSync(dir)).toEqual(['plain-file']);
  });

  it('has examples in --help', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).toContain('--format');
  });
});
