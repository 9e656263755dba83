import { packageVersion, runCli, runStage } from '@ozkit/command';
import { loadConfig, settingFlags } from '@ozkit/config';
import { OzkitError } from '@ozkit/errors';
import type { BootMethod } from './iso-fetch-stage.js';
import { cli } from './options.js';

const tool = cli.tool;
const version = packageVersion(new URL('../package.json', import.meta.url));

await runCli(cli, { version, yargs: () => import('yargs') }, async (args, ctx) => {
  if (args._.length > 0) throw new OzkitError('USAGE', `unexpected argument: ${args._[0]}`, { hint: 'the build document comes on stdin or with --in FILE' });
  for (const [name, value] of [
    ['retries', args.retries],
    ['retry-wait', args['retry-wait']],
    ['idle-timeout', args['idle-timeout']],
    ['low-speed-limit', args['low-speed-limit']],
    ['low-speed-time', args['low-speed-time']],
    ['deadline', args.deadline],
  ] as const)
    if (!Number.isFinite(value) || value < 0) throw new OzkitError('USAGE', `--${name} must be a number ≥ 0`, { hint: `see ${tool} --help` });
  const { settings } = loadConfig({ configFile: args.config, flags: settingFlags(cli.options, args) });
  // The stage (downloads, xorriso, the remaster) is loaded only now: --help and --version never need it.
  const { isoFetchStage } = await import('./stage-declaration.js');
  await runStage(
    isoFetchStage,
    {
      settings,
      iso: args.iso,
      boot: args.boot as BootMethod | undefined,
      checksum: args.checksum,
      force: args.force,
      cwd: process.cwd(),
      toolVersion: version,
      policy: {
        retries: Math.floor(args.retries),
        delayMs: args['retry-wait'] * 1000,
        idleTimeoutMs: Math.max(1, args['idle-timeout']) * 1000,
        lowSpeedBytes: args['low-speed-limit'],
        lowSpeedMs: Math.max(1, args['low-speed-time']) * 1000,
        deadlineMs: args.deadline * 1000,
      },
    },
    { ctx, in: args.in, out: args.out },
  );
});
