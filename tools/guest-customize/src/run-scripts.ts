import type { PreparedScript } from './customize-inputs.js';
import { shellQuote } from './shell-quote.js';
import { timedStep, type TemplateRun } from './template-run.js';

/** Where precommands and commands are uploaded; removed after the last one. */
export const SCRIPT_DIR = '/var/tmp/ozkit-customize';

/** Precommands or commands, in order: uploaded as scripts so a `#!` line is honoured, else run by the login shell. */
export async function runScripts(run: TemplateRun, step: 'precommands' | 'commands', scripts: PreparedScript[]): Promise<void> {
  for (const [i, script] of scripts.filter((s) => s.step === step).entries()) {
    await timedStep(run, step, script.name, async () => {
      const path = `${SCRIPT_DIR}/${step}-${i + 1}`;
      await run.session.upload(script.data, path, { mode: 0o700, signal: run.signal });
      const shebang = script.data.subarray(0, 2).toString() === '#!';
      const result = await run.runner.run(script.label, shebang ? shellQuote(path) : `"\${SHELL:-/bin/sh}" ${shellQuote(path)}`);
      return result.exitCode ?? undefined;
    });
  }
}
