export * from './types.js';
export { problemsOf, type Infer, type Problem, type Shape } from './shape.js';
export { KEY_WRITERS, checkStageInput, checkStageOutput, documentProblems, shapeAt, writerOf, type KeyPath } from './check-document.js';
export { FailureWithEvidence, evidenceOf } from './failure-evidence.js';
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
export { checkDocumentPath, resolveReal, workdirProblem, type BuildScope, type PathCheck } from './document-paths.js';
export { openBounded, readBounded, readStreamBounded, type BoundedReadOptions } from './bounded-read.js';
