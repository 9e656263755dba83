import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { applyCliConventions, commonOptions, logSettingsFromArgv, documentOptions, packageVersion, runCommand, runStage } from '@ozkit/command';
import { OzkitError } from '@ozkit/errors';
import { tdlValidateStage } from './stage-declaration.js';

const tool = 'tdl-validate';
const version = packageVersion(new URL('../package.json', import.meta.url));
const argv = hideBin(process.argv);

await runCommand({ tool, version, ...logSettingsFromArgv(argv) }, async (ctx) => {
  const parser = applyCliConventions(
      yargs(argv)
      .scriptName(tool)
      .locale('en')
      .usage(
        `$0 [options] FILE|-
  
  Validate a TDL template (Oz's format) and start a build document: every
  schema and semantic rule Oz enforces, all problems at once as FILE:LINE:COL.
  Prints the document (ozkit, workdir, template, stages) on stdout.`,
      )
      .command('$0 [file]', false, (y) =>
        y.positional('file', { type: 'string', describe: 'the TDL file, or - to read it from stdin (a private copy is kept in the workdir)' }),
      )
      .options({
        ...commonOptions,
        out: documentOptions.out,
        workdir: {
          type: 'string',
          requiresArg: true,
          describe: 'build directory (default: $OZKIT_WORKDIR, else [paths] output_dir/<name>, else ./build/<name>)',
        },
      })
      .example('$0 centos7.tdl', 'validate and print the build document')
      .example('$0 centos7.tdl | ks-render | iso-fetch | guest-install', 'start a pipeline')
      .example('$0 --workdir /srv/builds/c7 centos7.tdl > c7.json', 'choose the build directory')
      .example('generate-tdl | $0 -', 'read the TDL from stdin')
      .epilog('Exit status: 0 valid, 64 usage, 65 invalid TDL, 66 file missing.')
      .wrap(Math.min(100, process.stdout.columns ?? 100)),
    tool,
    version,
  );
  const args = await parser.parseAsync();
  if (args.help || args.version) return;
  // yargs reads a lone "-" as an empty positional.
  const file = args.file === '' && argv.includes('-') ? '-' : (args.file as string | undefined);
  if (file === undefined || file === '')
    throw new OzkitError('USAGE', 'no TDL given', { hint: `usage: ${tool} [options] FILE|-  (see ${tool} --help)` });
  await runStage(tdlValidateStage, { file, workdir: args.workdir, configFile: args.config }, { ctx, out: args.out, createDocument: true });
});
