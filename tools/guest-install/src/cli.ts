import { packageVersion, runCli, runStage } from '@ozkit/command';
import { loadConfig, settingFlags } from '@ozkit/config';
import { OzkitError } from '@ozkit/errors';
import { cli } from './options.js';

const version = packageVersion(new URL('../package.json', import.meta.url));

await runCli(cli, { version, yargs: () => import('yargs') }, async (args, ctx) => {
  if (args.in === undefined && process.stdin.isTTY) {
    throw new OzkitError('TTY_INPUT', 'no build document on stdin', { hint: `pipe one in (… | iso-fetch | ${cli.tool}) or use --in FILE` });
  }
  const { settings } = loadConfig({ configFile: args.config, flags: settingFlags(cli.options, args) });
  // The stage (QEMU, QMP, the watchdog) is loaded only now: --help and --version never need it.
  const { guestInstallStage } = await import('./stage-declaration.js');
  await runStage(
    guestInstallStage,
    {
      settings,
      toolVersion: version,
      diskPath: args.disk,
      firmware: args.firmware as 'bios' | 'uefi',
      console: args.console,
      requireMarker: args['require-marker'],
      keepFailed: args['keep-failed'],
      extraQemuArgs: args['qemu-arg'],
    },
    { ctx, in: args.in, out: args.out },
  );
});
