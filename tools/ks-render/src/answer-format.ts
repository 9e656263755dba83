import type { AnswerFormat, OsFamily } from '@ozkit/build-document';

/** Which format a user's answer file is in, from its content. */
export function detectAnswerFormat(text: string): AnswerFormat | undefined {
  const body = text.replace(/^\uFEFF/, '');
  if (/^\s*<\?xml|<profile[\s>]/.test(body)) return 'autoyast';
  if (body.startsWith('#cloud-config') || /^autoinstall\s*:/m.test(body)) return 'autoinstall';
  // A backslash-continued line is one line to debconf: Oz's Debian*.auto has a late_command of 35
  // continuation lines, which counted one by one outnumbered its 28 questions.
  const meaningful = body
    .replace(/\\\r?\n/g, ' ')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  if (meaningful.length === 0) return undefined;
  const preseedLike = meaningful.filter((l) => /^\s*(d-i|[a-z0-9-]+)\s+[a-z0-9-]+\/\S+\s+[a-z]+\b/.test(l)).length;
  if (preseedLike > 0 && preseedLike >= meaningful.length / 2) return 'preseed';
  if (/^\s*%(packages|post|pre)\b/m.test(body) || /^\s*(rootpw|bootloader|clearpart|autopart|part|lang|keyboard|network|text|url|cdrom)\b/im.test(body))
    return 'kickstart';
  return undefined;
}

export const FAMILY_FOR_FORMAT: Record<AnswerFormat, OsFamily> = {
  kickstart: 'redhat',
  preseed: 'debian',
  autoinstall: 'ubuntu',
  autoyast: 'suse',
};

/** Formats a family's installers read (Ubuntu's d-i releases take preseeds, later ones autoinstall). */
export const FORMATS_FOR_FAMILY: Record<OsFamily, AnswerFormat[]> = {
  redhat: ['kickstart'],
  debian: ['preseed'],
  ubuntu: ['preseed', 'autoinstall'],
  suse: ['autoyast'],
};
