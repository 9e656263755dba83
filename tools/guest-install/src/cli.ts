import { resolve } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { applyCliConventions, commonOptions, documentOptions, logSettingsFromArgv, packageVersion, runCommand, runStage, hypervisorOptions, hypervisorFlags } from '@ozkit/command';
import { loadConfig, parseSeconds } from '@ozkit/config';
import { OzkitError } from '@ozkit/errors';
import { guestInstallStage } from './stage-declaration.js';

const tool = 'guest-install';
const version = packageVersion(new URL('../package.json', import.meta.url));
const argv = hideBin(process.argv);

await runCommand({ tool, version, ...logSettingsFromArgv(argv) }, async (ctx) => {
  const parser = applyCliConventions(
    yargs(argv)
      .scriptName(tool)
      .locale('en')
      .wrap(Math.min(100, process.stdout.columns ?? 100))
      .usage(
        `$0 [options] < doc.json > doc.json\n\n` +
          `Run the unattended install in QEMU (no root, no libvirt) and watch it: serial console, ` +
          `QMP events, disk/network activity. Success = the guest powers off (or asks for a reboot) ` +
          `after writing the answer file's completion marker. Adds "disk" to the build document. ` +
          `On failure: PNG screenshot, last 40 console lines and the watchdog's samples in the ` +
          `message and in "failure"; the partial disk is deleted. Exit 75 timeout/inactivity, ` +
          `70 QEMU crashed, 65 guest panic or missing marker (--require-marker), 69 QEMU missing.`,
      )
      .options({
        ...commonOptions,
        ...documentOptions,
        ...hypervisorOptions,
        accel: { type: 'string', choices: ['auto', 'kvm', 'tcg'], describe: 'accelerator; auto = KVM only if a probe guest really runs [qemu] accel, $OZKIT_ACCEL' },
        cpus: { type: 'number', describe: 'guest CPUs ([libvirt] cpus, $OZKIT_CPUS; default 1)' },
        memory: { type: 'number', describe: 'guest memory in MiB ([libvirt] memory, $OZKIT_MEMORY; default 2048)' },
        'image-type': { type: 'string', choices: ['qcow2', 'raw'], describe: 'disk format ([libvirt] image_type; default qcow2)' },
        'disk-bus': { alias: 'b', type: 'string', choices: ['auto', 'virtio', 'ide'], describe: 'disk bus (auto: virtio, ide for old guests)' },
        disk: { alias: 's', type: 'string', requiresArg: true, describe: 'disk image path (default <workdir>/<name>.<format>)' },
        firmware: { type: 'string', choices: ['bios', 'uefi'], default: 'bios', describe: 'guest firmware (uefi uses OVMF)' },
        timeout: { alias: 't', type: 'string', requiresArg: true, describe: 'total install timeout in seconds, or 20m/1h ([timeouts] install; default 1200)' },
        inactivity: { type: 'string', requiresArg: true, describe: 'fail after this long without disk/network activity ([timeouts] inactivity; default 300)' },
        console: { type: 'boolean', default: false, describe: 'stream the guest serial console to stderr' },
        'require-marker': { type: 'boolean', default: false, describe: 'fail if the guest powers off without writing the completion marker' },
        'keep-failed': { type: 'boolean', default: false, describe: 'keep the disk of a failed install (<name>.failed.<format>)' },
        'jeos-cache': { type: 'boolean', describe: 'reuse/store installed images by content key ([cache] jeos); --no-jeos-cache disables' },
        'screenshot-dir': { type: 'string', requiresArg: true, describe: 'where failure screenshots go (default the workdir; [paths] screenshot_dir)' },
        'qemu-arg': { type: 'string', array: true, requiresArg: true, describe: 'extra QEMU argument, appended as given (repeatable)' },
      })
      .example('tdl-validate debian12.tdl | ks-render | iso-fetch | guest-install > built.json', 'the install stage of a pipeline')
      .example('guest-install --in fetched.json --out installed.json --console', 'run the stage alone, watching the console')
      .example('guest-install --in fetched.json --timeout 40m --inactivity 120 --keep-failed', 'tighter watchdog; keep the disk for diagnosis')
      .example('guest-install --in fetched.json --jeos-cache', 'a re-run with the same media + answer file takes seconds'),
    tool,
    version,
  );
  const args = await parser.parseAsync();
  if (args.help || args.version) return;
  if (args.in === undefined && process.stdin.isTTY) {
    throw new OzkitError('TTY_INPUT', 'no build document on stdin', { hint: `pipe one in (… | iso-fetch | ${tool}) or use --in FILE` });
  }
  const { settings } = loadConfig({
    configFile: args.config,
    flags: {
      ...hypervisorFlags(args),
      accel: args.accel,
      cpus: args.cpus === undefined ? undefined : String(args.cpus),
      memoryMiB: args.memory === undefined ? undefined : String(args.memory),
      imageType: args['image-type'],
      diskBus: args['disk-bus'],
      timeoutInstall: args.timeout === undefined ? undefined : parseSeconds(args.timeout, '--timeout'),
      timeoutInactivity: args.inactivity === undefined ? undefined : parseSeconds(args.inactivity, '--inactivity'),
      cacheJeos: args['jeos-cache'],
      screenshotDir: args['screenshot-dir'] === undefined ? undefined : resolve(args['screenshot-dir']),
    },
  });
  await runStage(
    guestInstallStage,
    {
      settings,
      toolVersion: version,
      diskPath: args.disk,
      firmware: args.firmware as 'bios' | 'uefi',
      console: args.console,
      requireMarker: args['require-marker'],
      keepFailed: args['keep-failed'],
      extraQemuArgs: args['qemu-arg'],
    },
    { ctx, in: args.in, out: args.out },
  );
});
