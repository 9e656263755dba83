import { defineCli } from '@ozkit/command';
import { commonOptionNames, documentOptionNames, hypervisorOptionNames, vocabularyOptions } from '@ozkit/config';

/** guest-install's command line: --help, the README's option table and the parser come from this. */
export const cli = defineCli({
  tool: 'guest-install',
  usage: '$0 [options] < doc.json > doc.json',
  description:
    `Run the unattended install in QEMU (no root, no libvirt) and watch it: serial console, ` +
    `QMP events, disk/network activity. Success = the guest powers off (or asks for a reboot) ` +
    `after writing the answer file's completion marker. Adds "disk" to the build document. ` +
    `On failure: PNG screenshot, last 40 console lines and the watchdog's samples in the ` +
    `message and in "failure"; the partial disk is deleted. Exit 75 timeout/inactivity, ` +
    `70 QEMU crashed, 65 guest panic or missing marker (--require-marker), 69 QEMU missing.`,
  options: {
    ...vocabularyOptions(commonOptionNames, documentOptionNames, hypervisorOptionNames),
    ...vocabularyOptions('accel', 'cpus', 'memory', 'image-type', 'disk-bus'),
    disk: { kind: 'string', short: 's', value: 'FILE', describe: 'disk image path (default <workdir>/<name>.<format>)' },
    firmware: { kind: 'string', value: 'FIRMWARE', choices: ['bios', 'uefi'], default: 'bios', describe: 'guest firmware (uefi uses OVMF)' },
    ...vocabularyOptions('timeout', 'inactivity'),
    console: { kind: 'boolean', default: false, describe: 'stream the guest serial console to stderr' },
    'require-marker': { kind: 'boolean', default: false, describe: 'fail if the guest powers off without writing the completion marker' },
    'keep-failed': { kind: 'boolean', default: false, describe: 'keep the disk of a failed install (<name>.failed.<format>)' },
    ...vocabularyOptions('jeos-cache', 'screenshot-dir', 'package-cache'),
    'qemu-arg': { kind: 'string', value: 'ARG', repeatable: true, describe: 'extra QEMU argument, appended as given' },
  },
  examples: [
    ['tdl-validate debian12.tdl | ks-render | iso-fetch | guest-install > built.json', 'the install stage of a pipeline'],
    ['guest-install --in fetched.json --out installed.json --console', 'run the stage alone, watching the console'],
    ['guest-install --in fetched.json --timeout 40m --inactivity 120 --keep-failed', 'tighter watchdog; keep the disk for diagnosis'],
    ['guest-install --in fetched.json --jeos-cache', 'a re-run with the same media + answer file takes seconds'],
  ],
});
