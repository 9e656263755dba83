import { defineStage } from '@ozkit/command';
import type { CustomizeOptions } from './customize-guest.js';

/** guest-customize: the installed disk booted, the TDL applied over SSH, inventoried, sealed: `customize`. */
export const guestCustomizeStage = defineStage({
  name: 'guest-customize',
  needs: ['disk', 'template', 'workdir'],
  // answer.sshd says whether there is anyone to log in to.
  uses: ['answer'],
  produces: 'customize',
  async run(doc, opts: Omit<CustomizeOptions, 'logger' | 'signal'>, ctx) {
    const { customizeGuest } = await import('./customize-guest.js');
    return customizeGuest(doc, { ...opts, logger: ctx.logger, signal: ctx.signal });
  },
});
