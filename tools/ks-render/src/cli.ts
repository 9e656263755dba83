import { packageVersion, runCli, runStage } from '@ozkit/command';
import { OzkitError } from '@ozkit/errors';
import { guestProxyUrl } from '@ozkit/cache';
import { loadConfig, settingFlags } from '@ozkit/config';
import { cli } from './options.js';

const version = packageVersion(new URL('../package.json', import.meta.url));

await runCli(cli, { version, yargs: () => import('yargs') }, async (args, ctx) => {
  if (args._.length > 0)
    throw new OzkitError('USAGE', `unexpected argument "${String(args._[0])}"`, {
      hint: `the template comes in the build document; the answer file goes with --auto FILE (see ${cli.tool} --help)`,
    });
  const { settings } = loadConfig({ configFile: args.config, flags: settingFlags(cli.options, args) });
  const mirrors = { debian: settings.debianMirror, ubuntu: settings.ubuntuMirror };
  // The renderers and grammar checks are loaded only now: --help and --version never need them.
  const { ksRenderStage } = await import('./stage-declaration.js');
  const packageProxy = settings.cachePackages ? guestProxyUrl(settings.packageCachePort) : undefined;
  await runStage(ksRenderStage, { autoFile: args.auto, lint: settings.lint, fix: args.fix, mirrors, packageProxy }, { ctx, in: args.in, out: args.out });
});
