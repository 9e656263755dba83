import { sbomTimestamp } from './sbom-cyclonedx.js';
import type { SbomInput } from './sbom-input.js';

type Json = Record<string, unknown>;

/** SPDXIDs allow letters, digits, `.` and `-` only. */
function spdxIdPart(text: string): string {
  return text.replace(/[^A-Za-z0-9.-]+/g, '-').replace(/^-+|-+$/g, '') || 'x';
}

/**
 * SPDX 2.3 JSON. The document DESCRIBES the image package, which CONTAINS the distribution
 * and every installed package (each with a PACKAGE-MANAGER purl external reference) and was
 * GENERATED_FROM the install media and the answer file, both packages that carry their
 * SHA-256 checksum.
 */
export function renderSpdx(input: SbomInput): Json {
  const imageId = 'SPDXRef-Image';
  const osId = `SPDXRef-OperatingSystem-${spdxIdPart(input.distro.id)}`;
  const packages: Json[] = [];
  const relationships: Json[] = [{ spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: imageId }];
  const sources: string[] = [];
  if (input.media) sources.push(`installed from ${input.media.url} (sha256 ${input.media.sha256})`);
  if (input.answer) sources.push(`with the ${input.answer.format} answer file sha256 ${input.answer.sha256}`);
  packages.push({
    SPDXID: imageId,
    name: input.image.name,
    ...(input.image.version ? { versionInfo: input.image.version } : {}),
    downloadLocation: 'NOASSERTION',
    filesAnalyzed: false,
    primaryPackagePurpose: 'OPERATING-SYSTEM',
    ...(input.image.description ? { description: input.image.description } : {}),
    ...(sources.length > 0 ? { sourceInfo: sources.join(', ') } : {}),
    ...(input.image.path ? { packageFileName: input.image.path } : {}),
  });
  packages.push({
    SPDXID: osId,
    name: input.distro.id,
    ...(input.distro.versionId ? { versionInfo: input.distro.versionId } : {}),
    downloadLocation: 'NOASSERTION',
    filesAnalyzed: false,
    primaryPackagePurpose: 'OPERATING-SYSTEM',
    ...(input.distro.prettyName ? { description: input.distro.prettyName } : {}),
  });
  relationships.push({ spdxElementId: imageId, relationshipType: 'CONTAINS', relatedSpdxElement: osId });
  if (input.media) {
    packages.push({
      SPDXID: 'SPDXRef-InstallMedia',
      name: input.media.url.split('/').pop() || 'installation media',
      downloadLocation: /^(https?|ftp):\/\//.test(input.media.url) ? input.media.url : 'NOASSERTION',
      filesAnalyzed: false,
      primaryPackagePurpose: 'INSTALL',
      checksums: [{ algorithm: 'SHA256', checksumValue: input.media.sha256 }],
      comment: `installation media ${input.media.url}`,
    });
    relationships.push({ spdxElementId: imageId, relationshipType: 'GENERATED_FROM', relatedSpdxElement: 'SPDXRef-InstallMedia' });
  }
  if (input.answer) {
    packages.push({
      SPDXID: 'SPDXRef-AnswerFile',
      name: input.answer.file.split('/').pop() || 'answer file',
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      primaryPackagePurpose: 'FILE',
      checksums: [{ algorithm: 'SHA256', checksumValue: input.answer.sha256 }],
      comment:
        `${input.answer.format} answer file ${input.answer.file}` +
        (input.answer.stableSha256 ? `; stable sha256 (per-build parts masked) ${input.answer.stableSha256}` : ''),
    });
    relationships.push({ spdxElementId: imageId, relationshipType: 'GENERATED_FROM', relatedSpdxElement: 'SPDXRef-AnswerFile' });
  }
  input.packages.forEach((pkg, index) => {
    const id = `SPDXRef-Package-${input.format}-${spdxIdPart(pkg.name)}-${index + 1}`;
    packages.push({
      SPDXID: id,
      name: pkg.name,
      versionInfo: pkg.version,
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: pkg.purl }],
    });
    relationships.push({ spdxElementId: imageId, relationshipType: 'CONTAINS', relatedSpdxElement: id });
  });
  const name = input.image.name;
  return {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name,
    documentNamespace: `https://spdx.org/spdxdocs/ozkit-${encodeURIComponent(spdxIdPart(name))}-${input.serial}`,
    creationInfo: {
      created: sbomTimestamp(input.created),
      creators: [`Tool: ozkit-${input.tool.name}-${input.tool.version}`],
    },
    documentDescribes: [imageId],
    packages,
    relationships,
  };
}
