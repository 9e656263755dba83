import { defineStage } from '@ozkit/command';
import type { LintLevel } from '@ozkit/config';

/** ks-render: from the template (into the workdir) the answer file and its facts, `answer`. */
export const ksRenderStage = defineStage({
  name: 'ks-render',
  needs: ['template', 'workdir'],
  produces: 'answer',
  async run(doc, opts: { autoFile?: string; lint?: LintLevel; fix?: boolean }, ctx) {
    const { renderAnswer } = await import('./render-answer.js');
    return renderAnswer(doc, { autoFile: opts.autoFile, logger: ctx.logger, lint: opts.lint, fix: opts.fix });
  },
});
