import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { applyCliConventions, commonOptions, logSettingsFromArgv, documentOptions, packageVersion, runCommand, runStage, hypervisorOptions, hypervisorFlags } from '@ozkit/command';
import { OzkitError } from '@ozkit/errors';
import { loadConfig } from '@ozkit/config';
import { guestCustomizeStage } from './stage-declaration.js';
import { SEAL_OPERATIONS } from './seal-operations.js';
import { OUTPUT_FORMATS } from './output-format.js';

const tool = 'guest-customize';
const version = packageVersion(new URL('../package.json', import.meta.url));
const argv = hideBin(process.argv);

const sealList = SEAL_OPERATIONS.map((o) => `  ${o.op.padEnd(14)} ${o.description}`).join('\n');

await runCommand({ tool, version, ...logSettingsFromArgv(argv) }, async (ctx) => {
  const parser = applyCliConventions(
      yargs(argv)
      .scriptName(tool)
      .locale('en')
      .usage(
        `$0 [options]\n\n` +
          `Boot the installed disk in QEMU, log in over SSH with the build key and apply the template in\n` +
          `Oz's order: repositories, precommands, packages (one transaction), files, commands, then remove\n` +
          `repositories with persisted=no. Then list every installed package (customize.inventory), seal\n` +
          `the image and power it off over ACPI. The result is a copy in the workdir; the installed disk\n` +
          `is left as it was, so a re-run does not need a new install.\n\n` +
          `--output-format writes the result for a cloud (checked with qemu-img check and info), and the\n` +
          `stage prints the "openstack image create" line with the image's OpenStack properties\n` +
          `(customize.image.properties: os_distro, hw_disk_bus, hw_firmware_type, …).\n\n` +
          `Seal operations (all by default; --seal-ops to choose, --no-seal for none):\n${sealList}\n\n` +
          `apt repositories: <url> may be a whole "deb [opts] URI suite comp…" line, "URI suite comp…", or a\n` +
          `bare URI (the guest's codename and "main"). signed=no adds trusted=yes; for signed=yes the key is\n` +
          `a TDL <file> named /etc/apt/keyrings/<repository name>.gpg or .asc (uploaded with the repository,\n` +
          `used as signed-by=); without one the guest's own keyring must trust the repository.`,
      )
      .options({
        ...commonOptions,
        ...documentOptions,
        ...hypervisorOptions,
        seal: { type: 'boolean', default: true, describe: 'seal the image (--no-seal keeps the build key and host keys, for debugging)' },
        'seal-ops': { type: 'string', requiresArg: true, describe: 'comma-separated seal operations to run (default all, see above)' },
        compress: { type: 'boolean', default: false, describe: 'compress the output where the format can be (qcow2: qemu-img convert -c; vmdk always is)' },
        'output-format': { type: 'string', requiresArg: true, choices: [...OUTPUT_FORMATS], describe: 'qcow2, raw, vmdk (streamOptimized: vSphere/OVA), vhdx (Hyper-V) or vpc (fixed VHD, MiB-aligned: Azure) ([ozkit] output_format; default the installed disk\'s)' },
        output: { alias: 'o', type: 'string', requiresArg: true, describe: 'customized image path (default <workdir>/<name>-customized.<qcow2|raw|vmdk|vhdx|vhd>)' },
        'keep-failed': { type: 'boolean', default: false, describe: 'on failure keep the partial image for inspection' },
        'step-timeout': { type: 'number', requiresArg: true, default: 1800, describe: 'seconds each remote step (command, package transaction) may run' },
        'timeout-boot': { type: 'string', requiresArg: true, describe: 'seconds to wait for SSH after boot ([timeouts] boot, default 300)' },
        'timeout-shutdown': { type: 'string', requiresArg: true, describe: 'seconds to wait for ACPI power-off ([timeouts] shutdown, default 90)' },
        cpus: { type: 'string', requiresArg: true, describe: 'guest CPUs ([qemu] cpus)' },
        memory: { type: 'string', requiresArg: true, describe: 'guest memory in MiB ([qemu] memory)' },
        accel: { type: 'string', requiresArg: true, choices: ['auto', 'kvm', 'tcg'], describe: 'accelerator (auto: what guest-install used)' },
        'cache-dir': { type: 'string', requiresArg: true, describe: 'cache for url contents of files and commands' },
        offline: { type: 'boolean', describe: 'use only cached url contents' },
        key: { type: 'string', requiresArg: true, describe: 'private key to log in with (default disk.buildKey; FILE.pub is removed when sealing)' },
        console: { type: 'boolean', default: false, describe: 'copy the guest serial console to stderr' },
        'ssh-port': { type: 'number', requiresArg: true, describe: 'host port forwarded to guest port 22 (default a free one)' },
        kernel: { type: 'string', requiresArg: true, describe: 'boot this kernel (for a disk without boot loader); needs --initrd and --append' },
        initrd: { type: 'string', requiresArg: true, describe: 'initrd for --kernel' },
        append: { type: 'string', requiresArg: true, describe: 'kernel command line for --kernel (e.g. "root=/dev/vda console=ttyS0")' },
      })
      .example([
        ['tdl-validate x.tdl | ks-render | iso-fetch | guest-install | $0 | icicle-gen > build.json', 'the whole pipeline'],
        ['$0 --in installed.json --out customized.json --console', 'one stage alone, watching the guest console'],
        ['$0 --in installed.json --no-seal --keep-failed -v', 'debugging: keep SSH access and the failed image'],
        ['$0 --in installed.json --seal-ops build-key,ssh-host-keys,machine-id,fstrim --compress', 'seal partly, compress'],
        ['$0 --in installed.json --output-format vmdk', 'a streamOptimized vmdk for vSphere; prints the openstack image create line'],
      ]),
    tool,
    version,
  );
  const args = await parser.parseAsync();
  if (args.help || args.version) return;
  const kernelFlags = [args.kernel, args.initrd, args.append].filter((v) => v !== undefined).length;
  if (kernelFlags !== 0 && kernelFlags !== 3) throw new OzkitError('USAGE', '--kernel, --initrd and --append go together', { hint: `see ${tool} --help` });
  if (!args.seal && args['seal-ops'] !== undefined) throw new OzkitError('USAGE', '--seal-ops and --no-seal contradict each other');
  if (!(args['step-timeout'] > 0)) throw new OzkitError('USAGE', '--step-timeout must be a positive number of seconds');
  const { settings } = loadConfig({
    configFile: args.config,
    env: process.env,
    flags: {
      ...hypervisorFlags(args),
      timeoutBoot: args['timeout-boot'],
      timeoutShutdown: args['timeout-shutdown'],
      cpus: args.cpus,
      memoryMiB: args.memory,
      accel: args.accel,
      cacheDir: args['cache-dir'],
      offline: args.offline,
      outputFormat: args['output-format'],
    },
  });
  await runStage(
    guestCustomizeStage,
    {
      settings,
      seal: args.seal,
      sealOps: args['seal-ops'] !== undefined ? [args['seal-ops']] : undefined,
      compress: args.compress,
      output: args.output,
      keepFailed: args['keep-failed'],
      stepTimeoutMs: args['step-timeout'] * 1000,
      privateKey: args.key,
      console: args.console,
      sshPort: args['ssh-port'],
      ...(args.kernel ? { kernel: { kernel: args.kernel, initrd: args.initrd!, append: args.append! } } : {}),
    },
    { ctx, in: args.in, out: args.out },
  );
});
