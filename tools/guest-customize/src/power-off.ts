import { OzkitError } from '@ozkit/errors';
import type { Logger } from '@ozkit/log';
import type { RunningGuest } from '@ozkit/vm';

/** Step 8: the ACPI power button; a guest still running after the shutdown timeout is killed and the run fails. */
export async function powerOff(vm: RunningGuest, timeoutShutdown: number, logger: Logger): Promise<void> {
  logger.info(`powering off (ACPI), waiting up to ${timeoutShutdown} s`);
  const clean = await vm.powerDown(timeoutShutdown * 1000);
  if (!clean)
    throw new OzkitError('TIMEOUT', `the guest did not power off within ${timeoutShutdown} s of an ACPI power-button press; ${vm.hypervisor} was killed`, {
      hint: 'the guest needs something handling the power button (systemd-logind or acpid); the image may not be consistent',
    });
}
