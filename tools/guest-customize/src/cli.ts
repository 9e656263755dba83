import { packageVersion, runCli, runStage } from '@ozkit/command';
import { OzkitError } from '@ozkit/errors';
import { loadConfig, settingFlags } from '@ozkit/config';
import { cli } from './options.js';

const version = packageVersion(new URL('../package.json', import.meta.url));
const tool = cli.tool;

await runCli(cli, { version, yargs: () => import('yargs') }, async (args, ctx) => {
  const kernelFlags = [args.kernel, args.initrd, args.append].filter((v) => v !== undefined).length;
  if (kernelFlags !== 0 && kernelFlags !== 3) throw new OzkitError('USAGE', '--kernel, --initrd and --append go together', { hint: `see ${tool} --help` });
  if (!args.seal && args['seal-ops'] !== undefined) throw new OzkitError('USAGE', '--seal-ops and --no-seal contradict each other');
  if (!(args['step-timeout'] > 0)) throw new OzkitError('USAGE', '--step-timeout must be a positive number of seconds');
  const { settings } = loadConfig({ configFile: args.config, env: process.env, flags: settingFlags(cli.options, args) });
  // The stage (SSH, QEMU, the steps) is loaded only now: --help and --version never need it.
  const { guestCustomizeStage } = await import('./stage-declaration.js');
  await runStage(
    guestCustomizeStage,
    {
      settings,
      seal: args.seal,
      sealOps: args['seal-ops'] !== undefined ? [args['seal-ops']] : undefined,
      requireCloudInit: args['require-cloud-init'],
      compress: args.compress,
      output: args.output,
      keepFailed: args['keep-failed'],
      stepTimeoutMs: args['step-timeout'] * 1000,
      privateKey: args.key,
      console: args.console,
      sshPort: args['ssh-port'],
      ...(args.kernel ? { kernel: { kernel: args.kernel, initrd: args.initrd!, append: args.append! } } : {}),
    },
    { ctx, in: args.in, out: args.out },
  );
});
