import { defineStage } from '@ozkit/command';
import { formatLocated } from '@ozkit/errors';

export interface TdlValidateStageOptions {
  /** A TDL path, or `-` for stdin. */
  file: string;
  workdir?: string;
  configFile?: string;
}

/** tdl-validate starts the document: it needs nothing and writes `workdir` and `template`. */
export const tdlValidateStage = defineStage({
  name: 'tdl-validate',
  needs: [],
  produces: ['workdir', 'template'],
  async run(doc, opts: TdlValidateStageOptions, ctx) {
    // The parser and the config loader are loaded only when there is work, so --help stays fast.
    const { validateTdl } = await import('./validate-tdl.js');
    const result = await validateTdl({ ...opts, signal: ctx.signal });
    for (const w of result.warnings) ctx.logger.warn(formatLocated(w.message, w.location), { location: w.location });
    return { ...doc, workdir: result.workdir, template: result.template };
  },
});
