import { defineStage } from '@ozkit/command';
import type { VerifyOptions } from './verify-image.js';

/** image-verify: the sealed image booted as a cloud boots it, its first boot checked: `verify`. */
export const imageVerifyStage = defineStage({
  name: 'image-verify',
  needs: [],
  // The image (customize.image, else disk, else --image), the user cloud-init creates, and what the build
  // saw (its host key, build key, root password) so the checks can prove none of it survives.
  uses: ['workdir', 'template', 'answer', 'disk', 'customize'],
  produces: 'verify',
  async run(doc, opts: Omit<VerifyOptions, 'logger' | 'signal'>, ctx) {
    const { verifyImage } = await import('./verify-image.js');
    return verifyImage(doc, { ...opts, logger: ctx.logger, signal: ctx.signal });
  },
});
