import { rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { workdirProblem, type Template } from '@ozkit/build-document';
import { loadConfig, resolveWorkdir } from '@ozkit/config';
import { OzkitError } from '@ozkit/errors';
import { parseTdl, readCapped, readTdlBytes, redactInstallIso, type TdlProblem } from '@ozkit/tdl';

export interface ValidateTdlInput {
  /** A TDL path, or `-` for stdin. */
  file: string;
  /** --workdir (else $OZKIT_WORKDIR, [paths] output_dir/<name>, ./build/<name>). */
  workdir?: string;
  /** -c/--config */
  configFile?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
  /** SIGINT/SIGTERM: ends a read that would wait forever (a FIFO without writer). */
  signal?: AbortSignal;
}

export interface ValidateTdlResult {
  workdir: string;
  template: Template;
  /** Valid, but worth saying, each with its place in the TDL. */
  warnings: TdlProblem[];
}

/** Name of the copy of a TDL read from stdin, inside the workdir. */
export const STDIN_COPY_NAME = 'template.tdl';

/**
 * The tdl-validate stage: reads and validates a TDL, resolves (and creates) the build's
 * workdir, and for a TDL read from stdin keeps a private copy there (it may hold the root
 * password), so later stages can read it again.
 */
export async function validateTdl(input: ValidateTdlInput): Promise<ValidateTdlResult> {
  const cwd = input.cwd ?? process.cwd();
  const fromStdin = input.file === '-';
  let path: string;
  let bytes: Buffer;
  if (fromStdin) {
    const stdin = input.stdin ?? process.stdin;
    if (stdin.isTTY)
      throw new OzkitError('TTY_INPUT', 'expected a TDL on stdin, but stdin is a terminal', {
        hint: 'give the TDL as a file (tdl-validate x.tdl) or pipe it in (tdl-validate - < x.tdl)',
      });
    bytes = await readCapped(stdin, '<stdin>', input.signal);
    path = join(cwd, '<stdin>');
  } else {
    ({ path, bytes } = await readTdlBytes(input.file, cwd, input.signal));
  }
  const label = fromStdin ? '<stdin>' : input.file;
  const { template, warnings } = parseTdl(bytes, { path, label, cwd });
  const { settings } = loadConfig({ configFile: input.configFile, flags: { workdir: input.workdir }, env: input.env ?? process.env });
  const chosen = settings.workdir ? resolve(cwd, settings.workdir) : undefined;
  const refused = chosen && workdirProblem(chosen);
  if (refused) throw new OzkitError('USAGE', `--workdir ${chosen}: ${refused}`, { hint: 'give a folder of its own for the build, e.g. --workdir ./build/NAME' });
  const workdir = resolveWorkdir(settings, template.name, cwd);
  if (fromStdin) {
    const copy = join(workdir, STDIN_COPY_NAME);
    await writePrivateFile(copy, bytes);
    template.source.path = copy;
    if (template.os.rootpw) template.os.rootpw.file = copy;
  }
  // The document is passed around and kept: an <iso> URL's password stays in the TDL (iso-fetch reads it there).
  return { workdir, template: redactInstallIso(template), warnings };
}

/** Writes a 0600 file atomically (temp file + rename): never a half-written copy. */
async function writePrivateFile(path: string, bytes: Buffer): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, bytes, { mode: 0o600 });
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw new OzkitError('IO', `${path}: cannot save the TDL read from stdin: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}
