import { defineCli } from '@ozkit/command';
import { commonOptionNames, documentOptionNames, vocabulary, vocabularyOptions } from '@ozkit/config';
import { SUPPORTED_OS_NAMES } from '@ozkit/os-catalog';

/** ks-render's command line: --help, the README's option table and the parser come from this. */
export const cli = defineCli({
  tool: 'ks-render',
  usage: '$0 [--auto FILE] [options] < document > document',
  description:
    'Render the answer file (kickstart, d-i preseed, autoinstall user-data or AutoYaST) for the template in the build document, or adapt your own with --auto, into the workdir; add "answer" to the document. ' +
    "Every answer file installs unattended, sets the root password (the TDL's, else a generated one in a 0600 file), installs a per-build SSH key for root, " +
    'writes a completion marker to the serial console and powers off at the end. It is checked before any VM starts (exit 65 with FILE:LINE).\n\n' +
    `Operating systems with a default answer file: ${SUPPORTED_OS_NAMES.join(', ')}.`,
  options: {
    auto: { kind: 'string', short: 'a', value: 'FILE', describe: "your own answer file, used as written plus build access and power-off (Oz's -a)" },
    ...vocabularyOptions('lint'),
    'package-cache': {
      ...vocabulary['package-cache'],
      describe: "a default preseed names ozkit's package cache as the installer's proxy (mirror/http/proxy); its late_command takes it out again",
    },
    fix: {
      kind: 'boolean',
      describe:
        'repair mechanical mistakes (command case, arguments to commands that take none, a stray option line) in the copy that goes into the workdir; each reported as FILE:LINE: fixed: …',
    },
    ...vocabularyOptions(commonOptionNames, documentOptionNames),
  },
  examples: [
    ['tdl-validate centos7.tdl | $0 | iso-fetch | guest-install', 'default kickstart for CentOS 7'],
    ['tdl-validate centos7.tdl | $0 --auto centos7.ks > build.json', 'your own kickstart, Oz-style'],
    ['$0 --in validated.json --out answered.json -v', 'files instead of a pipe, more detail'],
    ['tdl-validate debian12.tdl | $0 | jq -r .answer.path', 'where the preseed went'],
    ['tdl-validate centos7.tdl | $0 --auto centos7.ks --fix', 'your kickstart with its mechanical mistakes repaired (your file stays as it is)'],
  ],
  epilogue:
    'Exit codes: 0 ok, 64 usage, 65 unsupported OS or bad answer file / TDL, 66 --auto or -c file missing, 69 python3-yaml missing (autoinstall --auto), 74 I/O error.',
});
