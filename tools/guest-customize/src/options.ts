import { defineCli } from '@ozkit/command';
import { commonOptionNames, documentOptionNames, hypervisorOptionNames, vocabulary, vocabularyOptions } from '@ozkit/config';
import { SEAL_OPERATIONS } from './seal-operations.js';

const sealList = SEAL_OPERATIONS.map((o) => `  ${o.op.padEnd(14)} ${o.description}`).join('\n');

/** guest-customize's command line: --help, the README's option table and the parser come from this. */
export const cli = defineCli({
  tool: 'guest-customize',
  usage: '$0 [options]',
  description:
    `Boot the installed disk in QEMU, log in over SSH with the build key and apply the template in ` +
    `Oz's order: repositories, precommands, packages (one transaction), files, commands, then remove ` +
    `repositories with persisted=no. Then list every installed package (customize.inventory), seal ` +
    `the image and power it off over ACPI. The result is a copy in the workdir; the installed disk ` +
    `is left as it was, so a re-run does not need a new install. ` +
    `--output-format writes the result for a cloud (checked with qemu-img check and info), and the ` +
    `stage prints the "openstack image create" line with the image's OpenStack properties ` +
    `(customize.image.properties: os_distro, hw_disk_bus, hw_firmware_type, …).`,
  preformatted:
    `Seal operations (all by default; --seal-ops to choose, --no-seal for none):\n${sealList}\n` +
    `The cloud-init operations need cloud-init in the image (without it they are skipped, and\n` +
    `--require-cloud-init makes that an error); --target-cloud says which datasources to pin.\n\n` +
    `apt repositories: <url> may be a whole "deb [opts] URI suite comp…" line, "URI suite comp…", or a\n` +
    `bare URI (the guest's codename and "main"). signed=no adds trusted=yes; for signed=yes the key is\n` +
    `a TDL <file> named /etc/apt/keyrings/<repository name>.gpg or .asc (uploaded with the repository,\n` +
    `used as signed-by=); without one the guest's own keyring must trust the repository.`,
  options: {
    ...vocabularyOptions(commonOptionNames, documentOptionNames, hypervisorOptionNames),
    seal: { kind: 'boolean', default: true, describe: 'seal the image (--no-seal keeps the build key and host keys, for debugging)' },
    'seal-ops': { kind: 'string', value: 'OPS', describe: 'comma-separated seal operations to run (default all, see above)' },
    ...vocabularyOptions('target-cloud'),
    'require-cloud-init': { kind: 'boolean', default: false, describe: 'fail (exit 65) when the image has no cloud-init (for images meant for a cloud)' },
    compress: { kind: 'boolean', default: false, describe: 'compress the output where the format can be (qcow2: qemu-img convert -c; vmdk always is)' },
    ...vocabularyOptions('output-format'),
    output: { ...vocabulary.output, describe: 'customized image path (default <workdir>/<name>-customized.<format>)' },
    'keep-failed': { ...vocabulary['keep-failed'], describe: 'on failure keep the partial image for inspection' },
    'step-timeout': { kind: 'number', value: 'SECONDS', default: 1800, describe: 'seconds each remote step (command, package transaction) may run' },
    ...vocabularyOptions('boot-timeout', 'shutdown-timeout', 'cpus', 'memory'),
    accel: { ...vocabulary.accel, describe: 'accelerator (auto: what guest-install used)' },
    'cache-dir': { ...vocabulary['cache-dir'], describe: 'cache for url contents of files and commands' },
    offline: { ...vocabulary.offline, describe: 'use only cached url contents' },
    key: { ...vocabulary.key, describe: 'private key to log in with (default disk.buildKey; FILE.pub is removed when sealing)' },
    ...vocabularyOptions('console'),
    'ssh-port': { kind: 'number', value: 'PORT', describe: 'host port forwarded to guest port 22 (default a free one)' },
    kernel: { kind: 'string', value: 'FILE', describe: 'boot this kernel (for a disk without boot loader); needs --initrd and --append' },
    initrd: { kind: 'string', value: 'FILE', describe: 'initrd for --kernel' },
    append: { kind: 'string', value: 'ARGS', describe: 'kernel command line for --kernel (e.g. "root=/dev/vda console=ttyS0")' },
  },
  examples: [
    ['tdl-validate x.tdl | ks-render | iso-fetch | guest-install | $0 | icicle-gen > build.json', 'the whole pipeline'],
    ['$0 --in installed.json --out customized.json --console', 'one stage alone, watching the guest console'],
    ['$0 --in installed.json --no-seal --keep-failed -v', 'debugging: keep SSH access and the failed image'],
    ['$0 --in installed.json --seal-ops build-key,ssh-host-keys,machine-id,fstrim --compress', 'seal partly, compress'],
    ['$0 --in installed.json --target-cloud nocloud --require-cloud-init', 'an image for a NoCloud seed, refused without cloud-init'],
    ['$0 --in installed.json --output-format vmdk', 'a streamOptimized vmdk for vSphere; prints the openstack image create line'],
  ],
});
