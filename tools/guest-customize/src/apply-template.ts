import { addRepositories } from './add-repositories.js';
import type { CustomizeInputs } from './customize-inputs.js';
import { installPackages } from './install-packages.js';
import { removalCommand, type RepositoryPlan } from './repository-plan.js';
import { SCRIPT_DIR, runScripts } from './run-scripts.js';
import { timedStep, type TemplateRun } from './template-run.js';

/**
 * Step 5: the TDL in Oz's order — repositories, precommands, packages, files, commands, then
 * removal of the repositories marked persisted=no. Each step is recorded in `run.steps`.
 */
export async function applyTemplate(run: TemplateRun, inputs: CustomizeInputs): Promise<void> {
  const { template, scripts, files, fetchOptions } = inputs;
  run.phases?.enter('repositories');
  const repositories = await addRepositories(run, template, files);
  run.phases?.enter('precommands');
  await runScripts(run, 'precommands', scripts);
  await installPackages(run, template, repositories, fetchOptions);
  run.phases?.enter('files-commands');
  await uploadFiles(run, files, repositories.uploadedKeyFiles);
  await runScripts(run, 'commands', scripts);
  if (scripts.length) await run.runner.run('clean up scripts', `rm -rf ${SCRIPT_DIR}`);
  await removeTransientRepositories(run, repositories.setup.repositories);
}

/** The TDL's files, uploaded atomically with SFTP (key files went up with their repository). */
async function uploadFiles(run: TemplateRun, files: CustomizeInputs['files'], alreadyUploaded: Set<string>): Promise<void> {
  for (const file of files) {
    if (alreadyUploaded.has(file.path)) continue;
    await timedStep(run, 'files', file.path, async () => {
      await run.session.upload(file.data, file.path, { mode: 0o644, signal: run.signal });
      return undefined;
    });
  }
}

/** Repositories marked persisted=no go again once the packages are in. */
async function removeTransientRepositories(run: TemplateRun, repositories: RepositoryPlan[]): Promise<void> {
  const removal = removalCommand(run.packageManager, repositories);
  if (!removal) return;
  const names = repositories
    .filter((r) => !r.persisted)
    .map((r) => r.name)
    .join(' ');
  await timedStep(run, 'remove-repositories', names, async () => (await run.runner.run('remove repositories (persisted=no)', removal)).exitCode ?? undefined);
}
