import { OzkitError, OzkitErrorList, formatLocated, type SourceLocation } from '@ozkit/errors';
import type { SourceText } from './source-text.js';

/** One thing wrong (or worth a warning) in a TDL, with where it is. */
export interface TdlProblem {
  message: string;
  location: SourceLocation;
}

/** More problems than this are summarized in one last line: a garbage file should not print a million. */
export const MAX_REPORTED_PROBLEMS = 100;

/** Collects every problem of one TDL, so all of them are reported at once. */
export class ProblemCollector {
  private readonly errors: { offset: number; message: string }[] = [];
  private readonly warnings: { offset: number; message: string }[] = [];

  constructor(
    readonly file: string,
    private readonly source: SourceText,
  ) {}

  error(offset: number, message: string): void {
    this.errors.push({ offset, message });
  }

  warn(offset: number, message: string): void {
    this.warnings.push({ offset, message });
  }

  get hasErrors(): boolean {
    return this.errors.length > 0;
  }

  /** "line:column" of an offset, for messages that point at a second place. */
  where(offset: number): string {
    const p = this.source.locate(offset);
    return `${p.line}:${p.column}`;
  }

  location(offset: number): SourceLocation {
    const p = this.source.locate(offset);
    return { file: this.file, line: p.line, column: p.column };
  }

  warningList(): TdlProblem[] {
    return sorted(this.warnings).map((w) => ({ message: w.message, location: this.location(w.offset) }));
  }

  /** All errors, in the order they appear in the file, as one error list (exit 65). */
  toError(): OzkitErrorList {
    const all = sorted(this.errors);
    const shown = all.slice(0, MAX_REPORTED_PROBLEMS);
    const errors = shown.map((e) => locatedError(e.message, this.location(e.offset)));
    if (all.length > shown.length) errors.push(new OzkitError('BAD_TDL', formatLocated(`… and ${all.length - shown.length} more problems`, { file: this.file })));
    return new OzkitErrorList(errors);
  }
}

export function locatedError(message: string, location: SourceLocation): OzkitError {
  return new OzkitError('BAD_TDL', formatLocated(message, location), { location, details: { location } });
}

function sorted<T extends { offset: number }>(items: T[]): T[] {
  return items
    .map((item, index) => ({ item, index }))
    .sort((a, b) => a.item.offset - b.item.offset || a.index - b.index)
    .map((x) => x.item);
}
