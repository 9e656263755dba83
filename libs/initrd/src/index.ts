export { writeNewc, readNewc, parentDirectories, type NewcEntry, type NewcMember } from './newc.js';
export { injectIntoInitrd, gzipMember, initrdFormat, listInitrd, type InjectOptions } from './inject.js';
