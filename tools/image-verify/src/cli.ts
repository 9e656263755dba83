import { packageVersion, runCli, runStage } from '@ozkit/command';
import { OzkitError } from '@ozkit/errors';
import { loadConfig, settingFlags } from '@ozkit/config';
import { parseDiskSize } from '@ozkit/tdl';
import { cli } from './options.js';

const version = packageVersion(new URL('../package.json', import.meta.url));

await runCli(cli, { version, yargs: () => import('yargs') }, async (args, ctx) => {
  let diskBytes: number | undefined;
  if (args['disk-size'] !== undefined) {
    const size = parseDiskSize(args['disk-size']);
    if (!size.ok) throw new OzkitError('USAGE', `--disk-size: ${size.message}`);
    diskBytes = Number(size.bytes);
  }
  if (!(args['cloud-init-timeout'] > 0)) throw new OzkitError('USAGE', '--cloud-init-timeout must be a positive number of seconds');
  const { settings } = loadConfig({ configFile: args.config, env: process.env, flags: settingFlags(cli.options, args) });
  // The stage (QEMU, SSH, xorriso) is loaded only now: --help and --version never need it.
  const { imageVerifyStage } = await import('./stage-declaration.js');
  await runStage(
    imageVerifyStage,
    {
      settings,
      ...(args.image !== undefined ? { image: args.image } : {}),
      ...(args['target-cloud'] !== undefined ? { targetCloud: settings.targetCloud } : {}),
      ...(args.metadata !== undefined ? { metadata: args.metadata as 'config-drive' | 'nocloud' } : {}),
      ...(diskBytes !== undefined ? { diskBytes } : {}),
      ...(args.user !== undefined ? { user: args.user } : {}),
      checks: args.check ?? [],
      cloudInitTimeoutMs: args['cloud-init-timeout'] * 1000,
      // Only the flag: $OZKIT_WORKDIR is where new builds go, not where this image's evidence belongs.
      ...(args.workdir !== undefined ? { workdir: args.workdir } : {}),
      console: args.console,
    },
    // --image alone needs no document: nothing on stdin starts a new one.
    { ctx, in: args.in, out: args.out, emptyStartsNew: args.image !== undefined },
  );
});
