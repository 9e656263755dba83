import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { renderCycloneDx } from './sbom-cyclonedx.js';
import { renderSpdx } from './sbom-spdx.js';
import { sbomInputFrom } from './sbom-input.js';
import { parsePurl } from './purl.js';
import { debianDocument, sha256 } from './sbom.test-support.js';

const tool = { name: 'icicle-gen', version: '0.1.0' };

/**
 * The official CycloneDX schemas ship in @cyclonedx/cyclonedx-library (with ajv); packageurl-js is
 * the reference purl parser. Both are root devDependencies.
 */
const tryLoad = (name: string): unknown => createRequire(import.meta.url)(name);
const cdxLibrary = tryLoad('@cyclonedx/cyclonedx-library') as {
  Validation: { JsonStrictValidator: new (v: unknown) => { validate(s: string): Promise<unknown> } };
  Spec: { Version: Record<string, unknown> };
};
const packageurl = tryLoad('packageurl-js') as {
  PackageURL: { fromString(s: string): { type: string; namespace?: string; name: string; version?: string; qualifiers?: Record<string, string> } };
};

function input() {
  return sbomInputFrom(debianDocument('/work/build'), debianDocument('/work/build').customize!.inventory, { tool, sourceDateEpoch: 1_764_000_000 });
}

describe('CycloneDX', () => {
  const bom = renderCycloneDx(input()) as Record<string, any>;

  it('has the envelope of a CycloneDX 1.6 BOM', () => {
    expect(bom.bomFormat).toBe('CycloneDX');
    expect(bom.specVersion).toBe('1.6');
    expect(bom.serialNumber).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(bom.metadata.timestamp).toBe('2025-11-24T16:00:00Z');
  });

  it('links the image to the install media and answer file hashes', () => {
    const image = bom.metadata.component;
    expect(image.type).toBe('operating-system');
    expect(image.name).toBe('debian12-web');
    const refs = image.externalReferences as { type: string; hashes: { alg: string; content: string }[]; url: string }[];
    expect(refs.find((r) => r.type === 'distribution')!.hashes).toEqual([{ alg: 'SHA-256', content: sha256('media') }]);
    expect(refs.find((r) => r.url === 'file:///work/build/preseed.cfg')!.hashes[0].content).toBe(sha256('answer'));
    const props = Object.fromEntries((image.properties as { name: string; value: string }[]).map((p) => [p.name, p.value]));
    expect(props['ozkit:media:sha256']).toBe(sha256('media'));
    expect(props['ozkit:answer:sha256']).toBe(sha256('answer'));
    expect(props['ozkit:answer:stableSha256']).toBe(sha256('stable answer'));
  });

  it('lists installed packages as libraries with purls, the distribution as operating-system, not removed ones', () => {
    const components = bom.components as Record<string, any>[];
    expect(components[0]).toMatchObject({ type: 'operating-system', name: 'debian', version: '12' });
    const libs = components.filter((c) => c.type === 'library');
    expect(libs.map((c) => c.purl)).toEqual([
      'pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12',
      'pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=i386&distro=debian-12',
      'pkg:deb/debian/nginx@1.22.1-9?arch=amd64&distro=debian-12',
      'pkg:deb/debian/openssh-server@1:9.2p1-2%2Bdeb12u3?arch=amd64&distro=debian-12',
      'pkg:deb/debian/libstdc%2B%2B6@12.2.0-14?arch=amd64&distro=debian-12',
    ]);
    expect(libs.find((c) => c.name === 'openssh-server')!.version).toBe('1:9.2p1-2+deb12u3');
    const refs = components.map((c) => c['bom-ref']);
    expect(new Set(refs).size).toBe(refs.length);
    expect(bom.dependencies[0].dependsOn).toEqual(refs);
  });

  it('gives every purl back its parts through the reference parser (packageurl-js)', () => {
    for (const c of (bom.components as Record<string, any>[]).filter((x) => x.purl)) {
      const parsed = packageurl!.PackageURL.fromString(c.purl);
      const mine = parsePurl(c.purl);
      expect(parsed.name).toBe(c.name);
      expect(parsed.version).toBe(c.version);
      expect(parsed.namespace).toBe(mine.namespace);
      expect({ ...parsed.qualifiers }).toEqual(mine.qualifiers);
    }
  });

  it('validates against the official CycloneDX 1.6 JSON schema', async () => {
    const validator = new cdxLibrary!.Validation.JsonStrictValidator(cdxLibrary!.Spec.Version.v1dot6);
    expect(await validator.validate(JSON.stringify(bom))).toBeNull();
  });

  it('is reproducible with SOURCE_DATE_EPOCH and unique without it', () => {
    expect(renderCycloneDx(input())).toEqual(bom);
    const doc = debianDocument('/w');
    const a = sbomInputFrom(doc, doc.customize!.inventory, { tool });
    const b = sbomInputFrom(doc, doc.customize!.inventory, { tool });
    expect(a.serial).not.toBe(b.serial);
  });
});

describe('SPDX 2.3', () => {
  const spdx = renderSpdx(input()) as Record<string, any>;

  it('has the required document fields', () => {
    expect(spdx).toMatchObject({ spdxVersion: 'SPDX-2.3', dataLicense: 'CC0-1.0', SPDXID: 'SPDXRef-DOCUMENT', name: 'debian12-web' });
    expect(spdx.documentNamespace).toMatch(/^https:\/\/spdx\.org\/spdxdocs\/ozkit-debian12-web-[0-9a-f-]{36}$/);
    expect(spdx.creationInfo.created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(spdx.creationInfo.creators).toEqual(['Tool: ozkit-icicle-gen-0.1.0']);
  });

  it('uses valid, unique SPDXIDs and relationships that point at existing elements', () => {
    const ids = (spdx.packages as { SPDXID: string }[]).map((p) => p.SPDXID);
    for (const id of ids) expect(id).toMatch(/^SPDXRef-[A-Za-z0-9.-]+$/);
    expect(new Set(ids).size).toBe(ids.length);
    const known = new Set([...ids, 'SPDXRef-DOCUMENT']);
    for (const r of spdx.relationships as { spdxElementId: string; relatedSpdxElement: string }[]) {
      expect(known.has(r.spdxElementId)).toBe(true);
      expect(known.has(r.relatedSpdxElement)).toBe(true);
    }
    expect(spdx.relationships[0]).toEqual({ spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: 'SPDXRef-Image' });
  });

  it('has every package with a PACKAGE-MANAGER purl, contained in the image', () => {
    const pkgs = (spdx.packages as Record<string, any>[]).filter((p) => p.externalRefs);
    expect(pkgs).toHaveLength(5);
    for (const p of pkgs) {
      expect(p.downloadLocation).toBe('NOASSERTION');
      expect(p.filesAnalyzed).toBe(false);
      expect(p.externalRefs).toEqual([
        { referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: expect.stringMatching(/^pkg:deb\/debian\//) },
      ]);
      expect(spdx.relationships).toContainEqual({ spdxElementId: 'SPDXRef-Image', relationshipType: 'CONTAINS', relatedSpdxElement: p.SPDXID });
    }
  });

  it('records the media and answer file as checksummed packages the image was generated from', () => {
    const media = (spdx.packages as Record<string, any>[]).find((p) => p.SPDXID === 'SPDXRef-InstallMedia')!;
    expect(media.checksums).toEqual([{ algorithm: 'SHA256', checksumValue: sha256('media') }]);
    expect(media.downloadLocation).toMatch(/^http:\/\/mirror\.example\//);
    const answer = (spdx.packages as Record<string, any>[]).find((p) => p.SPDXID === 'SPDXRef-AnswerFile')!;
    expect(answer.checksums).toEqual([{ algorithm: 'SHA256', checksumValue: sha256('answer') }]);
    expect(spdx.relationships).toContainEqual({ spdxElementId: 'SPDXRef-Image', relationshipType: 'GENERATED_FROM', relatedSpdxElement: 'SPDXRef-InstallMedia' });
    expect(spdx.relationships).toContainEqual({ spdxElementId: 'SPDXRef-Image', relationshipType: 'GENERATED_FROM', relatedSpdxElement: 'SPDXRef-AnswerFile' });
  });
});

describe('distribution namespace', () => {
  it('comes from the guest, not only the TDL', () => {
    const doc = debianDocument('/w');
    doc.customize!.guest = { id: 'rocky', versionId: '9.3', packageManager: 'dnf' };
    doc.customize!.inventory = { format: 'rpm', collectedAt: 'x', packages: [{ name: 'bash', version: '5.1.8', release: '6.el9_1', arch: 'x86_64' }] };
    const sbom = sbomInputFrom(doc, doc.customize!.inventory, { tool });
    expect(sbom.packages[0].purl).toBe('pkg:rpm/rocky/bash@5.1.8-6.el9_1?arch=x86_64&distro=rocky-9.3');
  });

  it('falls back to the TDL os name (RHEL-9 → redhat namespace)', () => {
    const doc = debianDocument('/w');
    delete (doc.customize as Record<string, unknown>).guest;
    doc.template!.os.name = 'RHEL-9';
    doc.template!.os.version = '9';
    doc.customize!.inventory = { format: 'rpm', collectedAt: 'x', packages: [{ name: 'bash', version: '5.1.8', release: '6.el9', arch: 'x86_64' }] };
    const sbom = sbomInputFrom(doc, doc.customize!.inventory, { tool });
    expect(sbom.packages[0].purl).toBe('pkg:rpm/redhat/bash@5.1.8-6.el9?arch=x86_64&distro=rhel-9');
  });
});
