import { existsSync, readFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { OzkitError, type ExitCodeValue } from '@ozkit/errors';
import type { BuildDocument } from '@ozkit/build-document';
import { failedDocumentPath } from '@ozkit/command';

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The stage's program: on $PATH (an installed ozkit), else its package beside this one (a
 * checkout). The Oz commands run the stages as programs, never a copy of their code.
 */
export function stageProgram(tool: string, path = process.env.PATH ?? ''): { file: string; args: string[] } {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, tool);
    if (existsSync(candidate)) return { file: candidate, args: [] };
  }
  const sibling = join(packageRoot, '..', tool, 'bin', `${tool}.js`);
  if (existsSync(sibling)) return { file: process.execPath, args: [sibling] };
  throw new OzkitError('PROGRAM_MISSING', `${tool}: not found on $PATH`, { hint: 'install ozkit (npm ci && npm run build) and put node_modules/.bin on $PATH' });
}

/** A stage that failed and has said so on stderr already: exit with its code, print nothing more. */
export class StageFailed extends Error {
  constructor(
    readonly tool: string,
    readonly exitCode: number,
    /** Where the stage left the failed build's document (error, console tail, screenshots). */
    readonly document: string,
  ) {
    super(`${tool} exited with ${exitCode}`);
  }
}

/**
 * Runs one stage CLI with `--in`/`--out` files (stderr shared with ours, so its progress and its
 * one-line errors reach the user as they are) and returns the document it wrote.
 */
export async function runStageCli(tool: string, args: string[], out: string, signal: AbortSignal): Promise<BuildDocument> {
  const program = stageProgram(tool);
  const result = await execa(program.file, [...program.args, ...args, '--out', out], {
    stdin: 'ignore',
    stdout: 'ignore',
    stderr: 'inherit',
    reject: false,
    cancelSignal: signal,
    forceKillAfterDelay: 30_000,
  });
  if (signal.aborted) throw signal.reason;
  if (result.exitCode !== 0) throw new StageFailed(tool, result.exitCode ?? 70, failedDocumentPath(out));
  return JSON.parse(readFileSync(out, 'utf8')) as BuildDocument;
}

export const stageExitCode = (error: StageFailed) => error.exitCode as ExitCodeValue;
