export { ExitCode, type ExitCodeValue } from './exit-codes.js';
export {
  OzkitError,
  OzkitErrorList,
  exitCodeFor,
  isOzkitError,
  formatLocated,
  toOzkitError,
  type ErrorCode,
  type SourceLocation,
  type OzkitErrorOptions,
} from './ozkit-error.js';
