export * from './types.js';
export {
  parseBuildDocument,
  readBuildDocument,
  writeBuildDocument,
  serializeBuildDocument,
  newBuildDocument,
  appendStage,
  requireKey,
  type ReadOptions,
  type WriteOptions,
} from './read-write.js';
