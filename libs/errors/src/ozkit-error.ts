import { ExitCode, type ExitCodeValue } from './exit-codes.js';

/**
 * Error codes, grouped by the exit code they map to. A code names what went wrong
 * for scripts (`failure.code` in the document, `code` in NDJSON logs); the message is for people.
 */
const exitCodeByErrorCode = {
  USAGE: ExitCode.usage,
  NOT_IMPLEMENTED: ExitCode.unavailable,
  TTY_INPUT: ExitCode.usage,
  BAD_DOCUMENT: ExitCode.dataError,
  BAD_TDL: ExitCode.dataError,
  BAD_CONFIG: ExitCode.dataError,
  BAD_ANSWER_FILE: ExitCode.dataError,
  BAD_IMAGE: ExitCode.dataError,
  BAD_MEDIA: ExitCode.dataError,
  CHECKSUM_MISMATCH: ExitCode.dataError,
  COMMAND_FAILED: ExitCode.dataError,
  INSTALL_FAILED: ExitCode.dataError,
  GUEST_PANIC: ExitCode.dataError,
  INPUT_MISSING: ExitCode.noInput,
  PROGRAM_MISSING: ExitCode.unavailable,
  SERVICE_UNAVAILABLE: ExitCode.unavailable,
  HYPERVISOR_UNREACHABLE: ExitCode.unavailable,
  OFFLINE_MISS: ExitCode.unavailable,
  QEMU_CRASHED: ExitCode.software,
  DOMAIN_FAILED: ExitCode.software,
  INTERNAL: ExitCode.software,
  IO: ExitCode.ioError,
  NO_SPACE: ExitCode.ioError,
  TIMEOUT: ExitCode.tempFail,
  INACTIVITY: ExitCode.tempFail,
  NETWORK: ExitCode.tempFail,
  INTERRUPTED: ExitCode.interrupted,
  TERMINATED: ExitCode.terminated,
} as const satisfies Record<string, ExitCodeValue>;

export type ErrorCode = keyof typeof exitCodeByErrorCode;

/** Where in an input file a problem is. Lines and columns count from 1. */
export interface SourceLocation {
  file: string;
  line?: number;
  column?: number;
}

export interface OzkitErrorOptions {
  hint?: string;
  location?: SourceLocation;
  cause?: unknown;
  /** Extra machine-readable facts (e.g. exit status of a remote command). */
  details?: Record<string, unknown>;
  /** Overrides the exit code the error code maps to (rarely needed). */
  exitCode?: ExitCodeValue;
}

/** An expected failure: a value with a code, a message and a hint, mapped to one exit code. */
export class OzkitError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;
  readonly location?: SourceLocation;
  readonly details?: Record<string, unknown>;
  readonly exitCode: ExitCodeValue;

  constructor(code: ErrorCode, message: string, options: OzkitErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OzkitError';
    this.code = code;
    this.hint = options.hint;
    this.location = options.location;
    this.details = options.details;
    this.exitCode = options.exitCode ?? exitCodeByErrorCode[code];
  }
}

/** Several problems found at once (e.g. every invalid element of a TDL); exits with the first one's code. */
export class OzkitErrorList extends OzkitError {
  readonly errors: OzkitError[];

  constructor(errors: OzkitError[]) {
    if (errors.length === 0) throw new Error('OzkitErrorList needs at least one error');
    super(errors[0].code, errors.map((e) => e.message).join('\n'), { exitCode: errors[0].exitCode });
    this.errors = errors;
  }
}

export function exitCodeFor(code: ErrorCode): ExitCodeValue {
  return exitCodeByErrorCode[code];
}

export function isOzkitError(value: unknown): value is OzkitError {
  return value instanceof OzkitError;
}

/** `FILE:LINE:COL: message`, or as much of the place as is known. */
export function formatLocated(message: string, location?: SourceLocation): string {
  if (!location) return message;
  let place = location.file;
  if (location.line !== undefined) {
    place += `:${location.line}`;
    if (location.column !== undefined) place += `:${location.column}`;
  }
  return `${place}: ${message}`;
}

/**
 * Turns anything thrown into an OzkitError: known errors pass through, Node system errors
 * get a code by errno, everything else is an internal error (a bug).
 */
export function toOzkitError(error: unknown): OzkitError {
  if (error instanceof OzkitError) return error;
  const err = error as NodeJS.ErrnoException | undefined;
  const errno = err?.code;
  const message = err?.message ?? String(error);
  if (errno === 'ENOENT') return new OzkitError('INPUT_MISSING', message, { cause: error });
  if (errno === 'ENOSPC') return new OzkitError('NO_SPACE', message, { cause: error });
  if (errno === 'EACCES' || errno === 'EPERM' || errno === 'EISDIR' || errno === 'EIO' || errno === 'EROFS') return new OzkitError('IO', message, { cause: error });
  if (errno === 'EPIPE') return new OzkitError('IO', 'output pipe closed', { cause: error });
  return new OzkitError('INTERNAL', message, { cause: error, hint: 'this is a bug in ozkit; rerun with -v for the stack trace and report it' });
}
