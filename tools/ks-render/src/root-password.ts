import { createHash, randomInt } from 'node:crypto';
import { formatLocated, OzkitError } from '@ozkit/errors';
import type { SecretReference, Template } from '@ozkit/build-document';
import { readRootPassword } from '@ozkit/tdl';

const GENERATED_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

/** 24 characters without look-alikes: about 140 bits, easy to type at a console. */
export function generatePassword(length = 24): string {
  let out = '';
  for (let i = 0; i < length; i++) out += GENERATED_ALPHABET[randomInt(GENERATED_ALPHABET.length)];
  return out;
}

/**
 * The TDL's root password, checked: any character is fine because answer files only ever get
 * its crypt hash, but a line break or other control character cannot be typed at a login
 * prompt and is almost always a mistake in the TDL, so it is refused rather than guessed at.
 */
/** Longer passwords are refused: crypt's cost grows with the length (100 000 characters took 23 s). */
export const MAX_ROOT_PASSWORD_LENGTH = 256;

export async function readTemplateRootPassword(template: Template, options: { workdir?: string; signal?: AbortSignal } = {}): Promise<string | undefined> {
  const password = await readRootPassword(template, options);
  if (password === undefined) return undefined;
  const ref = template.os.rootpw as SecretReference;
  const location = { file: ref.file, ...(ref.line ? { line: ref.line } : {}), ...(ref.column ? { column: ref.column } : {}) };
  if (password === '')
    throw new OzkitError('BAD_TDL', formatLocated('rootpw is empty', location), {
      location,
      hint: 'set a password in <rootpw>, or remove the element to get a generated one',
    });
  if (password.length > MAX_ROOT_PASSWORD_LENGTH)
    throw new OzkitError('BAD_TDL', formatLocated(`rootpw is ${password.length} characters; at most ${MAX_ROOT_PASSWORD_LENGTH} are accepted`, location), {
      location,
      hint: 'use a shorter password',
    });
  // eslint-disable-next-line no-control-regex
  const control = /[\u0000-\u001f\u007f]/.exec(password);
  if (control)
    throw new OzkitError(
      'BAD_TDL',
      formatLocated(
        `rootpw contains a control character (U+${control[0].charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()}${control[0] === '\n' ? ', a line break' : ''}); it could not be typed at a login prompt`,
        location,
      ),
      {
        location,
        hint: 'write the password on one line, without tabs or control characters',
      },
    );
  return password;
}

/** A stand-in for the password in the JEOS cache key: the same TDL password gives the same key. */
export function stablePasswordToken(password: string | undefined): string {
  if (password === undefined) return '@@OZKIT-GENERATED-ROOT-PASSWORD@@';
  return `@@OZKIT-ROOT-PASSWORD-${createHash('sha256').update('ozkit-rootpw\0').update(password).digest('hex').slice(0, 32)}@@`;
}
