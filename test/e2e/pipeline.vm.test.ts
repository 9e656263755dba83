/**
 * The whole pipeline, TDL to sealed image + ICICLE + SBOMs, through the committed CLIs:
 * tdl-validate | ks-render | iso-fetch | guest-install | guest-customize | icicle-gen.
 * The install is a JEOS cache hit on the shared installed image (same media, same answer file
 * but for the per-build key), so this test spends its time where it is new: customizing,
 * sealing and the manifests. Measured under TCG: ≈ 4 min on a quiet machine.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { BuildDocument } from '@ozkit/build-document';
import { INSTALLED_IMAGE_ROOTPW_XML, installedDebianImage, runStageCli, testCacheRoot } from '../support/installed-image.js';
import { testInstallerIso, testMirror } from '../support/test-installer.js';

// Same name, OS, disk and root password as the shared installed image: the answer file's stable
// hash matches, so guest-install reuses that install.
const tdl = `<template>
  <name>ozkit-test-debian-12</name>
  <description>ozkit pipeline test &amp; its manifest</description>
  <os>
    <name>Debian</name>
    <version>12</version>
    <arch>x86_64</arch>
    <rootpw>${INSTALLED_IMAGE_ROOTPW_XML}</rootpw>
    <install type='iso'>
      <iso>file:///replaced/by/iso-fetch--iso.iso</iso>
    </install>
    <icicle><extra_command>dpkg-query -W -f '\${Package} \${Status}\\n'</extra_command></icicle>
  </os>
  <disk>
    <size>4G</size>
  </disk>
  <packages>
    <package name='tree'/>
  </packages>
  <files>
    <file name='/etc/ozkit-pipeline'>made by the pipeline test</file>
  </files>
  <commands>
    <command name='first' position='1'>echo one &gt; /root/order</command>
    <command name='second' position='2'>echo two &gt;&gt; /root/order</command>
  </commands>
</template>
`;

function qemuRunningOn(path: string): boolean {
  const out = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
  return out.split('\n').some((l) => l.includes('qemu-system') && l.includes(path));
}

describe('the whole pipeline on the test installer', () => {
  let work: string;
  let doc: BuildDocument;
  const stderrs: string[] = [];

  beforeAll(async () => {
    const image = await installedDebianImage();
    const iso = await testInstallerIso();
    work = mkdtempSync(join(testCacheRoot(), 'pipeline-'));
    const tdlPath = join(work, 'pipeline.tdl');
    writeFileSync(tdlPath, tdl);
    const env = {
      ...process.env,
      OZKIT_CACHE_DIR: join(testCacheRoot(), 'installed-image', 'ozkit-cache'),
      OZKIT_CACHE_JEOS: 'yes',
      OZKIT_CPUS: process.env.OZKIT_CPUS ?? '2',
      // The shared image's archive, so the preseed (and its JEOS key) is the same.
      OZKIT_DEBIAN_MIRROR: testMirror().url,
    };
    const stages: [string, string[]][] = [
      ['tdl-validate', ['--workdir', join(work, 'build'), tdlPath]],
      ['ks-render', []],
      ['iso-fetch', ['--iso', iso, '--checksum', 'none']],
      ['guest-install', ['--require-marker']],
      ['guest-customize', ['--compress']],
      ['icicle-gen', ['--format', 'cyclonedx', '--format', 'spdx']],
    ];
    let text = '';
    for (const [tool, args] of stages) {
      const r = await runStageCli(tool, args, text, env);
      stderrs.push(`${tool}:\n${r.stderr}`);
      if (r.code !== 0) throw new Error(`${tool} exited with ${r.code}:\n${r.stderr.split('\n').slice(-40).join('\n')}`);
      text = r.stdout;
    }
    doc = JSON.parse(text) as BuildDocument;
    expect(doc.disk!.jeos).toMatchObject({ hit: true, key: image.key });
  }, 60 * 60_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('records every stage once, in order, and no failure', () => {
    expect(doc.failure).toBeUndefined();
    expect(doc.stages.map((s) => s.tool)).toEqual(['tdl-validate', 'ks-render', 'iso-fetch', 'guest-install', 'guest-customize', 'icicle-gen']);
  });

  test('customized, sealed and compressed the image, leaving no VM running', () => {
    const c = doc.customize!;
    expect(c.guest.id).toBe('debian');
    expect(c.steps.map((s) => s.step)).toEqual(expect.arrayContaining(['packages', 'files', 'commands']));
    expect(c.seal?.operations.length).toBeGreaterThan(0);
    expect(c.seal!.operations.every((o) => o.done || o.detail)).toBe(true);
    expect(c.image.compressed).toBe(true);
    expect(existsSync(c.image.path)).toBe(true);
    expect(execFileSync('qemu-img', ['info', '--output=json', c.image.path], { encoding: 'utf8' })).toMatch(/"format": "qcow2"/);
    expect(qemuRunningOn(c.image.path)).toBe(false);
    expect(c.inventory.packages.find((p) => p.name === 'tree')).toMatchObject({ arch: 'amd64' });
  });

  test('ICICLE lists the installed package with its extra line, in Oz format', () => {
    const xml = readFileSync(doc.icicle!.xml, 'utf8');
    expect(xml).toMatch(/^<icicle>\n {2}<description>ozkit pipeline test &amp; its manifest<\/description>\n {2}<packages>\n/);
    expect(xml).toContain('<package name="tree">');
    expect(xml).toMatch(/<package name="tree">\s*<extra>tree install ok installed<\/extra>/);
    expect(doc.icicle!.packages).toBe(doc.customize!.inventory.packages.length);
  });

  test('the SBOMs are valid and name the package with a purl tied to media and answer file', async () => {
    const sboms = (doc.icicle as { sboms?: { format: string; path: string }[] }).sboms ?? [doc.icicle!.sbom!];
    const cdxPath = sboms.find((s) => s.format === 'cyclonedx')!.path;
    const spdxPath = sboms.find((s) => s.format === 'spdx')!.path;
    const cdxText = readFileSync(cdxPath, 'utf8');
    const cdx = JSON.parse(cdxText);
    const tree = cdx.components.find((c: { name: string }) => c.name === 'tree');
    expect(tree.purl).toMatch(/^pkg:deb\/debian\/tree@[^?]+\?arch=amd64/);
    expect(JSON.stringify(cdx.metadata)).toContain(doc.media!.original.sha256);
    expect(JSON.stringify(cdx.metadata)).toContain(doc.answer!.sha256);
    const cdxLibrary = createRequire(import.meta.url)('@cyclonedx/cyclonedx-library');
    const validator = new cdxLibrary.Validation.JsonStrictValidator(cdxLibrary.Spec.Version.v1dot6);
    expect(await validator.validate(cdxText)).toBeNull();
    const spdx = JSON.parse(readFileSync(spdxPath, 'utf8'));
    expect(spdx.spdxVersion).toBe('SPDX-2.3');
    const spdxTree = spdx.packages.find((p: { name: string }) => p.name === 'tree');
    expect(spdxTree.externalRefs[0]).toMatchObject({ referenceType: 'purl', referenceLocator: tree.purl });
  });
});
