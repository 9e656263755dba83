import { defineCli } from '@ozkit/command';
import { commonOptionNames, vocabulary, vocabularyOptions } from '@ozkit/config';

/** tdl-validate's command line: --help, the README's option table and the parser come from this. */
export const cli = defineCli({
  tool: 'tdl-validate',
  usage: '$0 [options] FILE|-',
  description:
    "Validate a TDL template (Oz's format) and start a build document: every schema and semantic rule Oz enforces, all problems at once as FILE:LINE:COL. " +
    'Prints the document (ozkit, workdir, template, stages) on stdout.',
  positional: { name: 'file', describe: 'the TDL file, or - to read it from stdin (a private copy is kept in the workdir)' },
  options: {
    ...vocabularyOptions(commonOptionNames, ['out']),
    workdir: { ...vocabulary.workdir, describe: 'build directory (default: $OZKIT_WORKDIR, else [paths] output_dir/<name>, else ./build/<name>)' },
  },
  examples: [
    ['$0 centos7.tdl', 'validate and print the build document'],
    ['$0 centos7.tdl | ks-render | iso-fetch | guest-install', 'start a pipeline'],
    ['$0 --workdir /srv/builds/c7 centos7.tdl > c7.json', 'choose the build directory'],
    ['generate-tdl | $0 -', 'read the TDL from stdin'],
  ],
  epilogue: 'Exit status: 0 valid, 64 usage, 65 invalid TDL, 66 file missing.',
});
