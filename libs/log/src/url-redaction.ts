/**
 * Credentials in URLs (`http://user:secret@host/…`) are shown and stored as `user:***@`: only
 * the download itself gets the real value, never stderr, the build document or the cache's refs.
 */

/** `scheme://user:password@` (and `scheme://token@`) anywhere in a text. */
const CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@"'<>]*)@/gi;

/** The text with every URL's password replaced by `***` (a lone user name, often a token, too). */
export function redactUrls(text: string): string {
  return text.replace(CREDENTIALS, (_, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    return colon >= 0 ? `${scheme}${userinfo.slice(0, colon)}:***@` : `${scheme}***@`;
  });
}

/** Whether `url` carries credentials (then any file recording it is kept private). */
export const hasUrlCredentials = (text: string): boolean => redactUrls(text) !== text;
