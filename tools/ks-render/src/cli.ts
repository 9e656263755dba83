import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { applyCliConventions, commonOptions, logSettingsFromArgv, documentOptions, packageVersion, runCommand, runStage } from '@ozkit/command';
import { OzkitError } from '@ozkit/errors';
import { loadConfig } from '@ozkit/config';
import { ksRenderStage } from './stage-declaration.js';
import { SUPPORTED_OS_NAMES } from './os-catalog.js';

const tool = 'ks-render';
const version = packageVersion(new URL('../package.json', import.meta.url));
const argv = hideBin(process.argv);

await runCommand({ tool, version, ...logSettingsFromArgv(argv) }, async (ctx) => {
  const parser = applyCliConventions(
      yargs(argv)
      .scriptName(tool)
      .locale('en')
      .usage(
        `$0 [--auto FILE] [options] < document > document\n\n` +
          'Render the answer file (kickstart, d-i preseed, autoinstall user-data or AutoYaST) for the template in the build document, or adapt your own with --auto, into the workdir; add "answer" to the document. ' +
          "Every answer file installs unattended, sets the root password (the TDL's, else a generated one in a 0600 file), installs a per-build SSH key for root, " +
          'writes a completion marker to the serial console and powers off at the end. It is checked before any VM starts (exit 65 with FILE:LINE).\n\n' +
          `Operating systems with a default answer file: ${SUPPORTED_OS_NAMES.join(', ')}.`,
      )
      .wrap(Math.min(110, process.stdout.columns ?? 100))
      .options({
        auto: { alias: 'a', type: 'string', describe: "your own answer file, used as written plus build access and power-off (Oz's -a)", requiresArg: true },
        lint: { type: 'string', choices: ['error', 'warn', 'off'], describe: "the release grammar check of an --auto file: refuse (error), only report (warn) or skip (off); config [ozkit] lint (default error)", requiresArg: true },
        fix: { type: 'boolean', describe: 'repair mechanical mistakes (command case, arguments to commands that take none, a stray option line) in the copy that goes into the workdir; each reported as FILE:LINE: fixed: …' },
        ...commonOptions,
        ...documentOptions,
      })
      .example('tdl-validate centos7.tdl | $0 | iso-fetch | guest-install', 'default kickstart for CentOS 7')
      .example('tdl-validate centos7.tdl | $0 --auto centos7.ks > build.json', 'your own kickstart, Oz-style')
      .example('$0 --in validated.json --out answered.json -v', 'files instead of a pipe, more detail')
      .example('tdl-validate debian12.tdl | $0 | jq -r .answer.path', 'where the preseed went')
      .example('tdl-validate centos7.tdl | $0 --auto centos7.ks --fix', 'your kickstart with its mechanical mistakes repaired (your file stays as it is)')
      .epilogue('Exit codes: 0 ok, 64 usage, 65 unsupported OS or bad answer file / TDL, 66 --auto or -c file missing, 69 python3-yaml missing (autoinstall --auto), 74 I/O error.'),
    tool,
    version,
  );
  const args = await parser.parseAsync();
  if (args.help || args.version) return;
  if (args._.length > 0)
    throw new OzkitError('USAGE', `unexpected argument "${String(args._[0])}"`, { hint: `the template comes in the build document; the answer file goes with --auto FILE (see ${tool} --help)` });
  const { settings } = loadConfig({ configFile: args.config, flags: { lint: args.lint } });
  const mirrors = { debian: settings.debianMirror, ubuntu: settings.ubuntuMirror };
  await runStage(ksRenderStage, { autoFile: args.auto, lint: settings.lint, fix: args.fix, mirrors }, { ctx, in: args.in, out: args.out });
});
