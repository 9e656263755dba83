import { defineStage } from '@ozkit/command';
import type { LintLevel } from '@ozkit/config';
import type { MirrorSettings } from './answer-context.js';

/** ks-render: from the template (into the workdir) the answer file and its facts, `answer`. */
export const ksRenderStage = defineStage({
  name: 'ks-render',
  needs: ['template', 'workdir'],
  produces: 'answer',
  async run(doc, opts: { autoFile?: string; lint?: LintLevel; fix?: boolean; mirrors?: MirrorSettings; packageProxy?: string }, ctx) {
    const { renderAnswer } = await import('./render-answer.js');
    return renderAnswer(doc, {
      autoFile: opts.autoFile,
      logger: ctx.logger,
      lint: opts.lint,
      fix: opts.fix,
      mirrors: opts.mirrors,
      packageProxy: opts.packageProxy,
      signal: ctx.signal,
    });
  },
});
