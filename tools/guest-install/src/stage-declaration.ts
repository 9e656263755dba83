import { defineStage } from '@ozkit/command';
import type { GuestInstallOptions } from './guest-install.js';

/** guest-install: the unattended install in QEMU, from the boot media and answer file: `disk`. */
export const guestInstallStage = defineStage({
  name: 'guest-install',
  needs: ['template', 'answer', 'media', 'workdir'],
  produces: 'disk',
  async run(doc, opts: Omit<GuestInstallOptions, 'logger' | 'signal'>, ctx) {
    const { guestInstall } = await import('./guest-install.js');
    return guestInstall(doc, { ...opts, logger: ctx.logger, signal: ctx.signal });
  },
});
