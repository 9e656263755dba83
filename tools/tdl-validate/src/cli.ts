import { packageVersion, runCli, runStage } from '@ozkit/command';
import { OzkitError } from '@ozkit/errors';
import { cli } from './options.js';

const tool = cli.tool;
const version = packageVersion(new URL('../package.json', import.meta.url));

await runCli(cli, { version, yargs: () => import('yargs') }, async (args, ctx) => {
  // yargs reads a lone "-" as an empty positional.
  const given = (args as { file?: string }).file;
  const file = given === '' && process.argv.slice(2).includes('-') ? '-' : given;
  if (file === undefined || file === '') throw new OzkitError('USAGE', 'no TDL given', { hint: `usage: ${tool} [options] FILE|-  (see ${tool} --help)` });
  // The TDL rules are loaded only now: --help and --version never need them.
  const { tdlValidateStage } = await import('./stage-declaration.js');
  await runStage(tdlValidateStage, { file, workdir: args.workdir, configFile: args.config }, { ctx, out: args.out, createDocument: true });
});
