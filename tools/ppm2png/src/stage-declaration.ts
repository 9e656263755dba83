import { defineStage } from '@ozkit/command';
import { convertDocumentScreenshots, type ScreenshotsOptions } from './convert-screenshots.js';
import { batchError } from './ppm2png-command.js';

/**
 * ppm2png's document mode: the netpbm screenshots a failed stage listed become PNGs. It reads
 * failed documents (that is its job) and writes only `failure.screenshots`.
 */
export const ppm2pngStage = defineStage({
  name: 'ppm2png',
  needs: [],
  uses: ['workdir', 'failure.screenshots'],
  produces: 'failure.screenshots',
  readsFailures: true,
  async run(doc, opts: Omit<ScreenshotsOptions, 'signal'>, ctx) {
    const result = await convertDocumentScreenshots(doc, { ...opts, signal: ctx.signal });
    if (result.listed === 0) ctx.logger.info('the build document lists no netpbm screenshots; passing it on unchanged');
    return {
      doc: result.doc,
      record: {
        converted: result.converted.flatMap((file) => file.images.map((image) => image.png.path!)),
        ...(result.failed.length ? { failed: result.failed.map((f) => f.input) } : {}),
      },
      errorAfterWrite: batchError(result, 'screenshots'),
    };
  },
});
