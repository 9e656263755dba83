import { OzkitError, type ErrorCode, type OzkitErrorOptions } from '@ozkit/errors';
import type { FailureEvidence } from './types.js';

/**
 * An error that carries what the failing stage saw (console tail, screenshots, watchdog
 * samples): runStage copies `evidence` into the document's `failure`, typed, next to the
 * message and codes.
 */
export class FailureWithEvidence extends OzkitError {
  readonly evidence: FailureEvidence;

  constructor(code: ErrorCode, message: string, evidence: FailureEvidence, options: OzkitErrorOptions = {}) {
    super(code, message, options);
    this.evidence = evidence;
  }
}

/** The evidence an error carries, if any. */
export function evidenceOf(error: unknown): FailureEvidence | undefined {
  return error instanceof FailureWithEvidence ? error.evidence : undefined;
}
