export { parseTdl, ARCHES, TDL_VERSION, type ParseTdlOptions, type ParsedTdl } from './parse-tdl.js';
export { readTdlBytes, readCapped } from './read-tdl.js';
export { readRootPassword } from './root-password.js';
export { parseDiskSize, DEFAULT_DISK_BYTES, MAX_QEMU_DISK_BYTES, type DiskSizeResult } from './disk-size.js';
export { parseChecksum, type ChecksumResult } from './checksum.js';
export { MAX_TDL_BYTES } from './source-text.js';
export { MAX_REPORTED_PROBLEMS, type TdlProblem } from './problems.js';
export { readXml, type XmlElement, type XmlNode } from './xml-reader.js';
export { decodeSource, SourceSyntaxError, SourceDecodeError, type SourceText } from './source-text.js';
