import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { commonOptions, documentOptions, packageVersion, runCommand, verbosityOf } from '@ozkit/command';
import { OzkitError } from '@ozkit/errors';

const tool = 'icicle-gen';
const version = packageVersion(new URL('../package.json', import.meta.url));

// Not built yet: the command exists so pipelines and --help work, and says so instead of pretending.
await runCommand({ tool, version, verbosity: process.argv.includes('-v') ? 1 : 0 }, async (ctx) => {
  const parser = yargs(hideBin(process.argv))
    .scriptName(tool)
    .locale('en')
    .usage(`$0 [options]\n\nwrite the ICICLE package manifest (and an SBOM) (not implemented yet)`)
    .options({ ...commonOptions, ...documentOptions })
    .version(version)
    .help()
    .strict()
    .exitProcess(false)
    .fail((message, error) => {
      throw new OzkitError('USAGE', message ?? error.message, { hint: `see ${tool} --help` });
    });
  const args = await parser.parseAsync();
  if (args.help || args.version) return;
  ctx.logger.passthrough((await parser.getHelp()) + '\n');
  void verbosityOf;
  throw new OzkitError('NOT_IMPLEMENTED', `${tool} is not implemented yet`, { hint: 'its issue has not landed' });
});
