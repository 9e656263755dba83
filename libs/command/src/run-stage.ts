import { OzkitError, toOzkitError } from '@ozkit/errors';
import {
  appendStage,
  newBuildDocument,
  readBuildDocument,
  writeBuildDocument,
  type BuildDocument,
  type Failure,
} from '@ozkit/build-document';
import type { CommandContext } from './run-command.js';

export interface RunStageOptions {
  ctx: CommandContext;
  /** --in / --out */
  in?: string;
  out?: string;
  /** tdl-validate starts a document instead of reading one. */
  createDocument?: boolean;
  stdout?: NodeJS.WritableStream & { isTTY?: boolean };
}

/**
 * The shared shape of a pipeline stage: read the document, refuse to act on one that
 * records an earlier failure (pass it on unchanged), run the stage, append its record,
 * write the document. On failure the document goes on with `failure` filled in, so the
 * rest of the pipe stops cleanly and ppm2png can find the screenshots.
 */
export async function runStage(
  options: RunStageOptions,
  stage: (doc: BuildDocument, ctx: CommandContext) => Promise<BuildDocument>,
): Promise<void> {
  const { ctx } = options;
  const doc = options.createDocument ? newBuildDocument() : await readBuildDocument({ in: options.in });
  if (doc.failure) {
    const failure = doc.failure;
    await writeBuildDocument(doc, { out: options.out, stdout: options.stdout });
    const exitCode = typeof failure.exitCode === 'number' ? failure.exitCode : 65;
    throw new OzkitError('BAD_DOCUMENT', `not run: ${failure.stage} failed earlier: ${String(failure.message).split('\n')[0]}`, {
      exitCode: exitCode as never,
    });
  }
  const startedAt = new Date();
  try {
    const result = await stage(doc, ctx);
    appendStage(result, {
      tool: ctx.tool,
      version: ctx.version,
      startedAt: startedAt.toISOString(),
      seconds: Math.round((Date.now() - startedAt.getTime()) / 100) / 10,
    });
    await writeBuildDocument(result, { out: options.out, stdout: options.stdout });
  } catch (thrown) {
    const error = ctx.signal.aborted ? (ctx.signal.reason as OzkitError) : toOzkitError(thrown);
    const stdout = options.stdout ?? process.stdout;
    // A failure document is for the next stage in a pipe (or --out), not for a person's terminal.
    if (options.out !== undefined || !(stdout as { isTTY?: boolean }).isTTY) {
      const failure: Failure = {
        stage: ctx.tool,
        code: error.code,
        message: error.message,
        exitCode: error.exitCode,
        ...(error.hint ? { hint: error.hint } : {}),
        ...((error.details?.failure as Record<string, unknown> | undefined) ?? {}),
      };
      doc.failure = failure;
      appendStage(doc, {
        tool: ctx.tool,
        version: ctx.version,
        startedAt: startedAt.toISOString(),
        seconds: Math.round((Date.now() - startedAt.getTime()) / 100) / 10,
        failed: true,
      });
      try {
        await writeBuildDocument(doc, { out: options.out, stdout });
      } catch {
        // The original error matters more than a closed pipe.
      }
    }
    throw thrown;
  }
}
