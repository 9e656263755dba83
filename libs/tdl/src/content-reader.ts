import type { ContentType } from '@ozkit/build-document';
import { fileUrlOf, fileUrlPath, localFileProblem, urlScheme } from './content-url.js';
import type { ProblemCollector } from './problems.js';
import { pythonStrip } from './python-whitespace.js';
import type { XmlAttribute, XmlElement } from './xml-reader.js';
import { quote, textOf } from './xml-shape.js';

export interface ContentContext {
  /** Oz-style relative `file://dir/x` resolves against this. */
  cwd: string;
  /** Check that `file://` contents exist. */
  checkLocalFiles: boolean;
}

/** The content of a `<file>` or `<command>` by its type (raw by default), as Oz reads it. */
export function readContent(
  el: XmlElement,
  typeAttr: XmlAttribute | undefined,
  isCommand: boolean,
  p: ProblemCollector,
  ctx: ContentContext,
): { type: ContentType; content: string } | undefined {
  const typeValue = typeAttr?.value;
  const typeOffset = typeAttr?.offset;
  const what = isCommand ? '<command>' : '<file>';
  const raw = textOf(el, p);
  const stripped = pythonStrip(raw);
  let type: ContentType | undefined;
  if (typeValue === undefined || typeValue === 'raw' || typeValue === 'base64' || typeValue === 'url') type = typeValue ?? 'raw';
  else p.error(typeOffset ?? el.offset, `${what} type must be raw, base64 or url, not ${quote(typeValue)}`);
  if (isCommand && stripped === '') {
    p.error(el.offset, `${what} is empty: empty commands are not allowed`);
    return undefined;
  }
  if (type === undefined) return undefined;
  if (type === 'raw') return { type, content: stripped };
  if (type === 'base64') {
    if (raw === '' && !isCommand) return { type, content: '' };
    if (!/^[a-zA-Z0-9+/]+={0,2}$/.test(raw)) {
      p.error(
        el.offset,
        /^[a-zA-Z0-9+/]+={0,2}$/.test(stripped)
          ? `${what} base64 content must not have spaces or line breaks`
          : `${what} content is not base64 (only A-Z, a-z, 0-9, + and /, then at most two =)`,
      );
      return undefined;
    }
    const padding = base64PaddingProblem(raw);
    if (padding) {
      p.error(el.offset, `${what} base64 content cannot be decoded: ${padding}`);
      return undefined;
    }
    return { type, content: raw };
  }
  if (stripped === '') {
    p.error(el.offset, `${what} of type url has no URL`);
    return undefined;
  }
  const scheme = urlScheme(stripped);
  if (scheme === 'http' || scheme === 'https') return { type, content: stripped };
  if (scheme === 'file') {
    const path = fileUrlPath(stripped, ctx.cwd);
    if (ctx.checkLocalFiles) {
      const problem = localFileProblem(path);
      if (problem) {
        p.error(el.offset, `${what} content ${quote(stripped)}: ${problem}`);
        return undefined;
      }
    }
    return { type, content: fileUrlOf(path) };
  }
  p.error(el.offset, `${what} of type url must be an http://, https:// or file:// URL, not ${quote(stripped)}`);
  return undefined;
}

/** What Python's base64.decodebytes (Oz's decoder) would refuse in schema-valid base64, if anything. */
function base64PaddingProblem(text: string): string | undefined {
  const data = text.replace(/=+$/, '').length;
  const pad = text.length - data;
  if (data % 4 === 1) return `${data} characters is one more than a multiple of 4`;
  if ((data % 4 === 2 && pad < 2) || (data % 4 === 3 && pad < 1)) return `it lacks its "=" padding`;
  return undefined;
}
