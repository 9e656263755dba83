import { defineCli } from '@ozkit/command';
import { commonOptionNames, documentOptionNames, hypervisorOptionNames, vocabulary, vocabularyOptions } from '@ozkit/config';

/** image-verify's command line: --help, the README's option table and the parser come from this. */
export const cli = defineCli({
  tool: 'image-verify',
  usage: '$0 [options]',
  description: [
    'Boot the sealed image the way a cloud will and prove its first boot works. The image (customize.image, else disk, else --image) is never written: a throw-away qcow2 overlay of it, grown by --disk-size so root growth is tested, boots with the metadata a cloud gives — an OpenStack config drive (label config-2) or a NoCloud seed (cidata), made with xorriso, with a fresh ed25519 key, a random hostname and instance-id.',
    'Checks, each a row in verify.checks (ok, seconds, evidence): SSH as the cloud user with the injected key; cloud-init status --wait --long done, from the expected datasource, without errors (status.json copied to the workdir); the hostname from the metadata; / grown past the image size; the build key and the root password refused; host keys and /etc/machine-id made on this boot; every --check command exits 0; a login prompt on the serial console. Power-on to login prompt, sshd and cloud-init done are reported in verify.timings.',
    "A failed check exits 65 naming it, with a screenshot, the console tail and cloud-init's log in failure; a timeout exits 75. The guest is always ended and the overlay removed.",
  ].join('\n\n'),
  options: {
    ...vocabularyOptions(commonOptionNames, documentOptionNames, hypervisorOptionNames),
    image: { kind: 'string', value: 'FILE', describe: 'image to verify (default customize.image, else disk); alone, no document is needed' },
    'target-cloud': {
      ...vocabulary['target-cloud'],
      describe: 'the cloud the image is for; chooses the metadata (default: the one it was sealed for, customize.cloud.target)',
    },
    metadata: {
      kind: 'string',
      value: 'KIND',
      choices: ['config-drive', 'nocloud'],
      describe: "metadata to give the guest (default: the target cloud's — openstack: config-drive, nocloud: nocloud)",
    },
    'disk-size': { kind: 'string', value: 'SIZE', describe: 'overlay size, e.g. 6G (default the image size + 1 GiB)' },
    user: { kind: 'string', value: 'USER', describe: "cloud user to log in as (default customize.cloud.defaultUser, from the image's cloud.cfg)" },
    check: { kind: 'string', value: 'CMD', repeatable: true, describe: "a command run as the user over SSH that must exit 0, e.g. 'systemctl is-active nginx'" },
    'cloud-init-timeout': { kind: 'number', value: 'SECONDS', default: 600, describe: 'seconds cloud-init may take once SSH answers' },
    workdir: {
      ...vocabulary.workdir,
      describe: "where status.json, the console log and failure evidence go (default the document's workdir, else the image's directory)",
    },
    'boot-timeout': { ...vocabulary['boot-timeout'], describe: 'seconds from power-on to the SSH login' },
    ...vocabularyOptions('cpus', 'memory', 'accel', 'console'),
  },
  examples: [
    ['... | guest-customize --require-cloud-init | $0 > build.json', 'end the pipeline with the verdict'],
    ['$0 --image sealed.qcow2 --user debian --check "systemctl is-active ssh"', 'verify an image without a document'],
    ['$0 --in build.json --metadata nocloud --out verified.json', 'boot with a NoCloud seed instead of a config drive'],
  ],
});
