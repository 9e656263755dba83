import { isAbsolute, join, resolve } from 'node:path';
import { OzkitError } from '@ozkit/errors';
import type { BuildDocument, Icicle, Inventory } from '@ozkit/build-document';
import { icicleFromInventory } from './icicle-xml.js';
import { sbomInputFrom } from './sbom-input.js';
import { renderCycloneDx } from './sbom-cyclonedx.js';
import { renderSpdx } from './sbom-spdx.js';
import { writeFileAtomic } from './atomic-write.js';
import type { Distro } from './distro.js';

export type SbomFormat = 'cyclonedx' | 'spdx';

export const SBOM_FILE_NAMES: Record<SbomFormat, string> = {
  cyclonedx: 'sbom.cdx.json',
  spdx: 'sbom.spdx.json',
};

export interface GenerateIcicleOptions {
  /** Where the ICICLE XML goes (default `<workdir>/icicle.xml`). */
  output?: string;
  /** Where SBOM files go (default the workdir). */
  sbomDir?: string;
  formats?: SbomFormat[];
  /** An inventory collected by --live instead of the document's customize.inventory. */
  inventory?: Inventory;
  /** With a live inventory: the guest's distribution and where it was read. */
  live?: { distro: Distro; where: { host: string; port: number } | { image: string }; hostKey: { type: string; sha256: string } };
  /** Overrides template.description (undefined keeps the TDL's). */
  description?: string;
  tool: { name: string; version: string };
  /** SOURCE_DATE_EPOCH for reproducible SBOMs. */
  sourceDateEpoch?: number;
  /** false: render only (for --stdout without a workdir); the document then records xml "-". */
  writeXml?: boolean;
  /** Relative paths resolve against this (default process.cwd()). */
  cwd?: string;
}

export interface GenerateIcicleResult {
  doc: BuildDocument;
  xml: string;
  sboms: { format: SbomFormat; path: string; json: string }[];
}

function noInventory(): OzkitError {
  return new OzkitError('BAD_DOCUMENT', 'build document has no customize.inventory: nothing to list', {
    hint: 'run guest-customize before icicle-gen (it records the package inventory), or collect it from a running guest with `icicle-gen --live --host H --port P --key KEY` (`--live --image` boots an unsealed image)',
  });
}

/**
 * The icicle-gen stage: ICICLE XML (Oz's format) and SBOMs from the package inventory,
 * written atomically, recorded under `icicle`.
 */
export async function generateIcicle(doc: BuildDocument, options: GenerateIcicleOptions): Promise<GenerateIcicleResult> {
  // runStage has checked customize.inventory's shape.
  const inventory = options.inventory ?? doc.customize?.inventory;
  if (inventory === undefined) throw noInventory();
  const cwd = options.cwd ?? process.cwd();
  const at = (p: string) => (isAbsolute(p) ? p : resolve(cwd, p));
  const workdir = doc.workdir;
  const needDir = (what: string, flag: string) => {
    if (!workdir) {
      throw new OzkitError('BAD_DOCUMENT', `build document has no workdir to put ${what} in`, {
        hint: `give ${flag}, or run the pipeline from tdl-validate (it sets the workdir)`,
      });
    }
    return workdir;
  };

  // Oz reads the TDL with lxml: an empty <description/> has text None, so no <description> is written.
  const given = options.description ?? doc.template?.description;
  const description = given === '' ? undefined : given;
  const xml = icicleFromInventory(inventory, description);
  const writeXml = options.writeXml ?? true;
  const xmlPath = !writeXml ? '-' : options.output !== undefined ? at(options.output) : join(needDir('icicle.xml', '--output FILE'), 'icicle.xml');

  const formats = [...new Set(options.formats ?? [])];
  const sboms: GenerateIcicleResult['sboms'] = [];
  if (formats.length > 0) {
    const dir = options.sbomDir !== undefined ? at(options.sbomDir) : needDir('the SBOM', '--sbom-dir DIR');
    const input = sbomInputFrom(doc, inventory, { tool: options.tool, sourceDateEpoch: options.sourceDateEpoch, distro: options.live?.distro });
    for (const format of formats) {
      const json = format === 'cyclonedx' ? renderCycloneDx(input) : renderSpdx(input);
      sboms.push({ format, path: join(dir, SBOM_FILE_NAMES[format]), json: JSON.stringify(json, null, 2) + '\n' });
    }
  }

  // Everything is rendered (and so validated) before the first file is written.
  if (writeXml) await writeFileAtomic(xmlPath, xml);
  for (const sbom of sboms) await writeFileAtomic(sbom.path, sbom.json);

  const icicle: Icicle = {
    xml: xmlPath,
    packages: inventory.packages.length,
    format: inventory.format,
    source: options.inventory ? 'live' : 'document',
  };
  if (options.live) {
    icicle.live = { ...options.live.where, hostKey: options.live.hostKey, collectedAt: inventory.collectedAt };
  }
  if (sboms.length > 0) {
    icicle.sbom = { format: sboms[0].format, path: sboms[0].path };
    icicle.sboms = sboms.map((s) => ({ format: s.format, path: s.path }));
  }
  return { doc: { ...doc, icicle }, xml, sboms };
}
