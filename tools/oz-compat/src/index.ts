export { ozGetopt, verbosityFromDebugLevel, type OzOption, type OzCommandLine } from './oz-getopt.js';
export { ozConfigFile, ozSettings, ozImagePath, ozBuildDir, ozLibvirtXmlName } from './oz-config.js';
export { domainXml, readDomainXml } from './libvirt-xml.js';
export { ozInstall, ozInstallOptions } from './oz-install.js';
export { ozCustomize } from './oz-customize.js';
export { ozGenerateIcicle } from './oz-generate-icicle.js';
export { ozCleanupCache, CACHE_AREAS } from './oz-cleanup-cache.js';
