export { generateIcicle, SBOM_FILE_NAMES, type GenerateIcicleOptions, type GenerateIcicleResult, type SbomFormat } from './generate-icicle.js';
export { renderIcicleXml, icicleFromInventory, type IcicleContent } from './icicle-xml.js';
export { renderCycloneDx, sbomTimestamp } from './sbom-cyclonedx.js';
export { renderSpdx } from './sbom-spdx.js';
export { sbomInputFrom, packagePurl, uuidFromHash, type SbomInput, type SbomPackage } from './sbom-input.js';
export { formatPurl, parsePurl, encodePurlComponent, type PackageUrlParts } from './purl.js';
export { distroOf, purlNamespace, distroQualifier, type Distro } from './distro.js';
export { collectLiveInventory, inventoryOverSsh, type LiveOptions, type LiveSource, type LiveInventory } from './live-inventory.js';
export { icicleGenStage, type IcicleGenStageOptions } from './stage-declaration.js';
