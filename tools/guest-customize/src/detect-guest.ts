import type { Template } from '@ozkit/build-document';
import type { Logger } from '@ozkit/log';
import { familyMatches } from '@ozkit/os-catalog';
import { GUEST_PROBE_COMMAND, detectGuestOs, type GuestOs } from './guest-os.js';
import type { GuestRunner } from './guest-runner.js';

/** Step 4: what the guest really is, from its own os-release and tools; the TDL only gets a warning when it disagrees. */
export async function detectGuest(runner: GuestRunner, template: Template, logger: Logger): Promise<GuestOs> {
  const probe = await runner.run('detect guest', GUEST_PROBE_COMMAND, { captureStdout: true, quiet: true, timeoutMs: 60_000 });
  const guest = detectGuestOs(probe.stdout);
  logger.info(`guest: ${guest.release.prettyName ?? guest.release.id} (${guest.packageManager})`);
  if (!familyMatches(template.os.name, guest.release))
    logger.warn(`the TDL says ${template.os.name} ${template.os.version}, the guest says ${guest.release.prettyName ?? guest.release.id}: following the guest`);
  return guest;
}
