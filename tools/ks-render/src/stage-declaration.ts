import { defineStage } from '@ozkit/command';

/** ks-render: from the template (into the workdir) the answer file and its facts, `answer`. */
export const ksRenderStage = defineStage({
  name: 'ks-render',
  needs: ['template', 'workdir'],
  produces: 'answer',
  async run(doc, opts: { autoFile?: string }, ctx) {
    const { renderAnswer } = await import('./render-answer.js');
    return renderAnswer(doc, { autoFile: opts.autoFile, logger: ctx.logger });
  },
});
