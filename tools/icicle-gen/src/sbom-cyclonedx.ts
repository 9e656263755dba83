import type { SbomInput } from './sbom-input.js';

/** Second-precision UTC timestamp (`2026-11-26T15:00:00Z`), valid for both SBOM formats. */
export function sbomTimestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

type Json = Record<string, unknown>;

function property(name: string, value: string | undefined): Json[] {
  return value === undefined || value === '' ? [] : [{ name, value }];
}

/**
 * CycloneDX 1.6 JSON. The image is metadata.component (type operating-system: "installed
 * on … a virtual machine, image"); the install media and the answer file it was built
 * from are external references carrying their SHA-256, and the same hashes are repeated
 * as `ozkit:` properties for tools that ignore reference hashes. Every installed package is
 * a `library` component with its purl; the distribution itself is an `operating-system`
 * component. bom-refs are unique (a repeated purl gets a `#N` suffix).
 */
export function renderCycloneDx(input: SbomInput): Json {
  const imageRef = 'ozkit-image';
  const osRef = `ozkit-os:${input.distro.id}${input.distro.versionId ? '-' + input.distro.versionId : ''}`;
  const externalReferences: Json[] = [];
  if (input.media) {
    externalReferences.push({
      type: 'distribution',
      url: input.media.url,
      comment: 'installation media',
      hashes: [{ alg: 'SHA-256', content: input.media.sha256 }],
    });
  }
  if (input.answer) {
    externalReferences.push({
      type: 'build-meta',
      url: new URL(`file://${input.answer.file}`).href,
      comment: `answer file (${input.answer.format})`,
      hashes: [{ alg: 'SHA-256', content: input.answer.sha256 }],
    });
  }
  if (input.tdl) {
    externalReferences.push({
      type: 'build-meta',
      url: new URL(`file://${input.tdl.file}`).href,
      comment: 'TDL template',
      hashes: [{ alg: 'SHA-256', content: input.tdl.sha256 }],
    });
  }
  const imageComponent: Json = {
    type: 'operating-system',
    'bom-ref': imageRef,
    name: input.image.name,
    ...(input.image.version ? { version: input.image.version } : {}),
    ...(input.image.description ? { description: input.image.description } : {}),
    ...(externalReferences.length > 0 ? { externalReferences } : {}),
    properties: [
      ...property('ozkit:media:sha256', input.media?.sha256),
      ...property('ozkit:media:url', input.media?.url),
      ...property('ozkit:answer:format', input.answer?.format),
      ...property('ozkit:answer:sha256', input.answer?.sha256),
      ...property('ozkit:answer:stableSha256', input.answer?.stableSha256),
      ...property('ozkit:tdl:sha256', input.tdl?.sha256),
      ...property('ozkit:image:path', input.image.path),
      ...property('ozkit:image:format', input.image.format),
      ...property('ozkit:inventory:format', input.format),
    ],
  };
  const seen = new Map<string, number>();
  const components: Json[] = [
    {
      type: 'operating-system',
      'bom-ref': osRef,
      name: input.distro.id,
      ...(input.distro.versionId ? { version: input.distro.versionId } : {}),
      ...(input.distro.prettyName ? { description: input.distro.prettyName } : {}),
    },
  ];
  for (const pkg of input.packages) {
    const count = seen.get(pkg.purl) ?? 0;
    seen.set(pkg.purl, count + 1);
    components.push({
      type: 'library',
      'bom-ref': count === 0 ? pkg.purl : `${pkg.purl}#${count + 1}`,
      name: pkg.name,
      version: pkg.version,
      purl: pkg.purl,
      properties: [...property('ozkit:package:arch', pkg.arch), ...property('ozkit:package:epoch', pkg.epoch)],
    });
  }
  return {
    $schema: 'http://cyclonedx.org/schema/bom-1.6.schema.json',
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    serialNumber: `urn:uuid:${input.serial}`,
    version: 1,
    metadata: {
      timestamp: sbomTimestamp(input.created),
      tools: { components: [{ type: 'application', group: 'ozkit', name: input.tool.name, version: input.tool.version }] },
      component: imageComponent,
    },
    components,
    dependencies: [{ ref: imageRef, dependsOn: components.map((c) => c['bom-ref'] as string) }],
  };
}
