import type { Template } from '@ozkit/build-document';
import { ProgressBar } from '@ozkit/log';
import type { AddedRepositories } from './add-repositories.js';
import { PACKAGE_FILE_DIR, planPackageTransaction } from './package-transaction.js';
import { fetchUrl, type FetchOptions } from './template-content.js';
import { timedStep, type TemplateRun } from './template-run.js';

/** The packages in one transaction; package files given by URL are fetched on the host and uploaded. */
export async function installPackages(run: TemplateRun, template: Template, repositories: AddedRepositories, fetchOptions: FetchOptions): Promise<void> {
  const { session, runner, signal } = run;
  const transaction = planPackageTransaction(template.packages ?? [], run.packageManager, repositories.setup.repositories);
  if (!transaction) return;
  await timedStep(run, 'packages', (template.packages ?? []).map((p) => p.name).join(' '), async () => {
    run.phases?.enter('package-transaction');
    for (const upload of transaction.uploads) {
      const data = await fetchUrl(upload.url, `package file ${upload.url}`, fetchOptions);
      await session.upload(data, upload.guestPath, { mode: 0o644, signal });
    }
    if (run.packageManager === 'apt' && !repositories.metadataFresh) {
      run.phases?.enter('repository-refresh');
      await runner.run('packages (apt-get update)', 'DEBIAN_FRONTEND=noninteractive apt-get update -o APT::Update::Error-Mode=any');
      run.phases?.enter('package-transaction');
    }
    // A transaction can be quiet for minutes (a big download): a CI log still gets a line every 30 s.
    const waiting = new ProgressBar(run.logger, { label: 'package transaction', unit: 'none' });
    const result = await runner.run('packages', transaction.command).finally(() => waiting.done());
    if (transaction.uploads.length) await runner.run('packages (clean up)', `rm -rf ${PACKAGE_FILE_DIR}`);
    return result.exitCode ?? undefined;
  });
}
