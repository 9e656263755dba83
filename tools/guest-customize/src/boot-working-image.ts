import { join } from 'node:path';
import type { HostKeyPin } from '@ozkit/ssh';
import { bootToSsh, selectBackend, type SshGuest } from '@ozkit/vm';
import type { CustomizeInputs } from './customize-inputs.js';
import type { CustomizeOptions } from './customize-guest.js';
import type { WorkingImage } from './working-image.js';

/**
 * Steps 2 and 3: boots the working copy (the accelerator guest-install used unless --accel
 * says otherwise), a loopback port forwarded to the guest's port 22, and waits for the SSH
 * login. A failure carries the console tail and a screenshot; the guest is then already ended.
 */
export async function bootWorkingImage(
  inputs: CustomizeInputs,
  image: WorkingImage,
  runDir: string,
  hostKeys: HostKeyPin,
  options: CustomizeOptions,
): Promise<SshGuest> {
  const { settings, logger, signal } = options;
  const { template, disk, workdir } = inputs;
  const accel = settings.accel === 'auto' ? disk.accel : settings.accel;
  const booted = await bootToSsh({
    backend: selectBackend(settings, { build: template.name, stage: 'guest-customize' }),
    guest: {
      arch: template.os.arch,
      accel,
      cpus: settings.cpus,
      memoryMiB: settings.memoryMiB,
      disks: [{ path: image.working, format: image.format, bus: disk.bus ?? 'virtio', discard: true }],
      ...(options.kernel ? { kernel: options.kernel } : { boot: 'disk' as const }),
      network: { ssh: options.sshPort !== undefined ? { hostPort: options.sshPort } : {} },
      runDir,
      consoleLog: join(workdir, 'customize-console.log'),
      ...(signal ? { signal } : {}),
    },
    ssh: { privateKey: inputs.privateKey, hostKeys, timeoutMs: settings.timeoutBoot * 1000, timeoutFlag: '--boot-timeout' },
    screenshotPrefix: join(workdir, 'customize-failure'),
    ...(options.console ? { onConsoleLine: (line: string) => logger.info(`console: ${line}`) } : {}),
    onStarted: ({ vm }) =>
      logger.info(
        `booting ${image.working} (${vm.description.accel}, ${settings.cpus} cpu, ${settings.memoryMiB} MiB), guest ssh on ${vm.ssh!.host}:${vm.ssh!.port}`,
      ),
    logger,
    ...(signal ? { signal } : {}),
  });
  logger.info(`ssh up after ${booted.bootSeconds.toFixed(0)} s; host key ${booted.session.hostKey.type} ${booted.session.hostKey.sha256}`);
  return booted;
}
