import type { AnswerFormat } from '@ozkit/build-document';
import type { AnswerProblem, RenderContext, RenderedAnswer } from './answer-context.js';
import { adaptUserAutoinstall, lintAutoinstall, renderDefaultAutoinstall } from './autoinstall/render-autoinstall.js';
import { adaptUserAutoyast, lintAutoyast, renderDefaultAutoyast } from './autoyast/render-autoyast.js';
import { lintKickstart } from './kickstart/kickstart-lint.js';
import { adaptUserKickstart, renderDefaultKickstart } from './kickstart/render-kickstart.js';
import { adaptUserPreseed, lintPreseed, renderDefaultPreseed } from './preseed/render-preseed.js';

/** One entry point per format for the stage: default file, user file, final lint, root password. */

export function renderDefaultAnswer(format: AnswerFormat, ctx: RenderContext): RenderedAnswer {
  const renderers = { kickstart: renderDefaultKickstart, preseed: renderDefaultPreseed, autoinstall: renderDefaultAutoinstall, autoyast: renderDefaultAutoyast };
  return renderers[format](ctx);
}

export type AdaptedAnswer = RenderedAnswer & { lint: { errors: AnswerProblem[]; warnings: AnswerProblem[] } };

export function adaptUserAnswer(format: AnswerFormat, text: string, file: string, ctx: RenderContext): AdaptedAnswer {
  if (format === 'kickstart') return adaptUserKickstart(text, ctx);
  if (format === 'preseed') return adaptUserPreseed(text, ctx);
  if (format === 'autoyast') return adaptUserAutoyast(text, ctx);
  return adaptUserAutoinstall(text, file, ctx);
}

/** The file as it will be written: must parse, be unattended, power off, and keep sshd when needed. */
export function lintFinalAnswer(
  format: AnswerFormat,
  text: string,
  file: string,
  ctx: Pick<RenderContext, 'customizationFollows' | 'lint' | 'kickstartRelease'>,
): { errors: AnswerProblem[]; warnings: AnswerProblem[] } {
  const options = { customizationFollows: ctx.customizationFollows, requirePoweroff: true, lint: ctx.lint, release: ctx.kickstartRelease };
  if (format === 'kickstart') return lintKickstart(text, options);
  if (format === 'preseed') return lintPreseed(text, options);
  if (format === 'autoyast') return lintAutoyast(text, options);
  return lintAutoinstall(text, file, options);
}

/** Whether a user's file sets the root password itself, and on which line (autoinstall never does: root is not its concern). */
export function userRootPassword(format: AnswerFormat, text: string): { sets: boolean; line?: number } {
  const options = { customizationFollows: false, requirePoweroff: false };
  if (format === 'kickstart') {
    const line = lintKickstart(text, options).rootpwLines[0];
    return line ? { sets: true, line } : { sets: false };
  }
  if (format === 'preseed') {
    const entry = lintPreseed(text, options).doc.entries.find((e) => e.question.startsWith('passwd/root-password'));
    return entry ? { sets: true, line: entry.line } : { sets: false };
  }
  if (format === 'autoyast') return { sets: lintAutoyast(text, options).setsRootPassword };
  return { sets: false };
}
