import { defineStage } from '@ozkit/command';
import type { IsoFetchOptions } from './iso-fetch-stage.js';

/** iso-fetch: the install media of the template, made to boot the answer file: `media`. */
export const isoFetchStage = defineStage({
  name: 'iso-fetch',
  needs: ['template', 'answer'],
  uses: ['workdir'],
  // The workdir only when the document has none.
  produces: ['media', 'workdir'],
  async run(doc, opts: Omit<IsoFetchOptions, 'logger' | 'signal'>, ctx) {
    const { isoFetch } = await import('./iso-fetch-stage.js');
    return isoFetch(doc, { ...opts, logger: ctx.logger, signal: ctx.signal });
  },
});
