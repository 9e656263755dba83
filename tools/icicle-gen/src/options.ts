import { defineCli } from '@ozkit/command';
import { commonOptionNames, documentOptionNames, hypervisorOptionNames, vocabulary, vocabularyOptions } from '@ozkit/config';

/** icicle-gen's command line: --help, the README's option table and the parser come from this. */
export const cli = defineCli({
  tool: 'icicle-gen',
  usage: '$0 [options]',
  description: [
    'Write the ICICLE package manifest (Oz\'s format, byte for byte) and, with --format, an SBOM (CycloneDX 1.6 / SPDX 2.3 JSON) from the package inventory guest-customize recorded. Reads the build document on stdin (or --in) and writes it on stdout (or --out) with "icicle" added; with --stdout (or -o -) stdout carries the XML instead and the document goes only to --out.',
    'ICICLE names are what Oz lists for the same system: NAME-VERSION-RELEASE.ARCH for rpm (plain `rpm -qa`), the `dpkg --get-selections` name for deb (libc6:amd64 for multi-arch packages).',
    'With [icicle] safe_generation = yes (OZKIT_ICICLE_SAFE_GENERATION), a document without an inventory gets one by booting its image on a throw-away overlay, as --live --image does.',
  ].join('\n\n'),
  options: {
    ...vocabularyOptions(commonOptionNames, documentOptionNames, hypervisorOptionNames),
    output: { ...vocabulary.output, describe: 'ICICLE XML file (default <workdir>/icicle.xml; - for stdout)' },
    stdout: { kind: 'boolean', describe: 'print the ICICLE XML on stdout instead of the document' },
    format: { kind: 'string', short: 'f', value: 'FORMAT', repeatable: true, describe: 'also write an SBOM: cyclonedx, spdx or both (comma lists ok)' },
    'sbom-dir': { kind: 'string', value: 'DIR', describe: 'directory for sbom.cdx.json / sbom.spdx.json (default the workdir)' },
    description: { kind: 'string', value: 'TEXT', describe: 'ICICLE <description> (default the TDL description)' },
    live: { kind: 'boolean', describe: 'collect the inventory now over SSH instead of reading customize.inventory' },
    host: { kind: 'string', value: 'HOST', describe: '--live: SSH host of a running guest' },
    port: { kind: 'number', value: 'PORT', default: 22, describe: '--live: SSH port' },
    user: { kind: 'string', value: 'USER', default: 'root', describe: '--live: SSH user' },
    key: { ...vocabulary.key, describe: '--live: private key file (default the build key in the document)' },
    'host-key': { kind: 'string', value: 'SHA256:…', describe: '--live: expected host key fingerprint (default: shown, not checked)' },
    image: {
      kind: 'string',
      value: 'FILE',
      valueOptional: true,
      describe: "--live: boot this image (default the document's) on a throw-away overlay instead of --host",
    },
    'boot-timeout': { ...vocabulary['boot-timeout'], describe: '--live --image: seconds to wait for SSH' },
    'extra-command': { kind: 'string', value: 'CMD', describe: "--live: os/icicle/extra_command to run (default the TDL's)" },
    'command-timeout': { kind: 'number', value: 'SECONDS', default: 120, describe: '--live: seconds each remote command may take' },
  },
  examples: [
    ['... | guest-customize | $0 > build.json', 'write <workdir>/icicle.xml and record it in the document'],
    ['... | $0 --format both > build.json', 'also write <workdir>/sbom.cdx.json (CycloneDX 1.6) and sbom.spdx.json (SPDX 2.3)'],
    ['$0 --in build.json --stdout', 'print the ICICLE XML instead of the document'],
    ['$0 --in build.json -o image.icicle.xml --format spdx --out build.json', 'choose the XML path; update the document in place'],
    ['$0 --live --host 127.0.0.1 --port 2222 --key ./id_ed25519 --stdout', 'list the packages of a running guest over SSH (no document needed)'],
    ['$0 --in build.json --live --image --out build.json', "boot the (unsealed) image on a throw-away overlay and list its packages (Oz's safe_generation)"],
  ],
});
