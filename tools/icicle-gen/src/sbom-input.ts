import { createHash, randomUUID } from 'node:crypto';
import { basename } from 'node:path';
import type { BuildDocument, Inventory, InventoryPackage } from '@ozkit/build-document';
import { fullVersion, isInstalled } from '@ozkit/inventory';
import { distroOf, distroQualifier, purlNamespace, type Distro } from './distro.js';
import { formatPurl } from './purl.js';

/** One installed package, ready for either SBOM format. */
export interface SbomPackage {
  name: string;
  /** As the package manager writes it (rpm VERSION-RELEASE, deb [epoch:]upstream-revision). */
  version: string;
  epoch?: string;
  arch: string;
  purl: string;
}

/** Everything an SBOM says, taken from the build document. */
export interface SbomInput {
  /** No version: the TDL's `version` attribute is the template language's, not the image's. */
  image: { name: string; version?: string; description?: string; path?: string; format?: string };
  distro: Distro;
  format: Inventory['format'];
  packages: SbomPackage[];
  media?: { url: string; sha256: string; file?: string };
  answer?: { format: string; file: string; sha256: string; stableSha256?: string };
  tdl?: { file: string; sha256: string };
  tool: { name: string; version: string };
  created: Date;
  /** A UUID: random, or derived from the content when the build must be reproducible. */
  serial: string;
}

export function packagePurl(pkg: InventoryPackage, format: Inventory['format'], distro: Distro): string {
  const qualifiers: Record<string, string | undefined> = { arch: pkg.arch, distro: distroQualifier(distro) };
  // purl-spec rpm: the epoch is a qualifier, the version is VERSION-RELEASE. deb: the version
  // is dpkg's full version, epoch included.
  if (format === 'rpm') qualifiers.epoch = pkg.epoch;
  return formatPurl({
    type: format,
    namespace: purlNamespace(distro, format),
    name: pkg.name,
    version: fullVersion(pkg, format),
    qualifiers,
  });
}

/** A v4-shaped UUID from a hash, so the same input always gives the same serial number. */
export function uuidFromHash(text: string): string {
  const h = createHash('sha256').update(text).digest();
  h[6] = (h[6] & 0x0f) | 0x40;
  h[8] = (h[8] & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export interface SbomInputOptions {
  tool: { name: string; version: string };
  /** SOURCE_DATE_EPOCH: fixed timestamp and content-derived serial (reproducible builds). */
  sourceDateEpoch?: number;
  now?: () => Date;
  /** The guest's distribution when known better than the document says (--live read os-release). */
  distro?: Distro;
}

export function sbomInputFrom(doc: BuildDocument, inventory: Inventory, options: SbomInputOptions): SbomInput {
  const distro = options.distro ?? distroOf(doc);
  const packages = inventory.packages
    .filter((p) => isInstalled(p) && p.version !== '')
    .map((p) => ({
      name: p.name,
      version: fullVersion(p, inventory.format),
      ...(p.epoch !== undefined ? { epoch: p.epoch } : {}),
      arch: p.arch,
      purl: packagePurl(p, inventory.format, distro),
    }));
  const template = doc.template;
  const media = doc.media?.original;
  const answer = doc.answer;
  const customized = doc.customize?.image;
  const imagePath = customized?.path ?? doc.disk?.path;
  const input: Omit<SbomInput, 'created' | 'serial'> = {
    image: {
      name: template?.name ?? (imagePath ? basename(imagePath) : 'image'),
      ...(template?.description !== undefined ? { description: template.description } : {}),
      ...(imagePath ? { path: imagePath } : {}),
      ...((customized?.format ?? doc.disk?.format) ? { format: customized?.format ?? doc.disk?.format } : {}),
    },
    distro,
    format: inventory.format,
    packages,
    ...(media?.sha256 ? { media: { url: media.url, sha256: media.sha256, ...(media.path ? { file: media.path } : {}) } } : {}),
    ...(answer?.sha256
      ? { answer: { format: answer.format, file: answer.path, sha256: answer.sha256, ...(answer.stableSha256 ? { stableSha256: answer.stableSha256 } : {}) } }
      : {}),
    ...(template?.source?.sha256 ? { tdl: { file: template.source.path, sha256: template.source.sha256 } } : {}),
    tool: options.tool,
  };
  if (options.sourceDateEpoch !== undefined) {
    return { ...input, created: new Date(options.sourceDateEpoch * 1000), serial: uuidFromHash(JSON.stringify(input)) };
  }
  return { ...input, created: (options.now ?? (() => new Date()))(), serial: randomUUID() };
}
