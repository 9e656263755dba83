import type { Template } from '@ozkit/build-document';
import type { CustomizeInputs } from './customize-inputs.js';
import { planRepositories, type RepositorySetup } from './repository-plan.js';
import { timedStep, type TemplateRun } from './template-run.js';

export interface AddedRepositories {
  setup: RepositorySetup;
  /** Key files uploaded with their repository (not uploaded again as TDL files). */
  uploadedKeyFiles: Set<string>;
  /** The package metadata was refreshed (apt needs no second `apt-get update`). */
  metadataFresh: boolean;
}

/**
 * The repositories: their files (and key files) written, then one metadata refresh that fails
 * when any repository is unreachable.
 */
export async function addRepositories(run: TemplateRun, template: Template, files: CustomizeInputs['files']): Promise<AddedRepositories> {
  const { session, logger, signal } = run;
  const setup = planRepositories(template.repositories ?? [], run.packageManager, { codename: run.codename, files: template.files ?? [] });
  const uploadedKeyFiles = new Set<string>();
  for (const repo of setup.repositories) {
    await timedStep(run, 'repositories', repo.name, async () => {
      logger.info(`repository ${repo.name}`);
      for (const f of repo.files) await session.upload(f.content, f.path, { mode: f.mode, signal });
      if (repo.keyFile) {
        const key = files.find((f) => f.path === repo.keyFile)!;
        await session.upload(key.data, key.path, { mode: 0o644, signal });
        uploadedKeyFiles.add(key.path);
      }
      return undefined;
    });
  }
  let metadataFresh = false;
  if (setup.repositories.length > 0) {
    run.phases?.enter('repository-refresh');
    await timedStep(run, 'repositories', 'refresh', async () => (await run.runner.run('repositories (metadata refresh)', setup.refresh)).exitCode ?? undefined);
    metadataFresh = true;
  }
  return { setup, uploadedKeyFiles, metadataFresh };
}
