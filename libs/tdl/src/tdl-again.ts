import { createHash } from 'node:crypto';
import { OzkitError } from '@ozkit/errors';
import { readBounded } from '@ozkit/build-document';
import { decodeSource, MAX_TDL_BYTES } from './source-text.js';
import { readXml, type XmlElement } from './xml-reader.js';

/**
 * A validated TDL read again, for a value the build document does not carry (a root password,
 * an `<iso>` URL's credentials): capped, abortable, and refused when it is no longer the file
 * tdl-validate read (`expectedSha256`) or no longer XML.
 */
export async function readTdlAgain(
  file: string,
  what: string,
  options: { expectedSha256?: string; signal?: AbortSignal; /** The name in messages (default `file`). */ label?: string },
): Promise<XmlElement> {
  const label = options.label ?? file;
  let bytes: Buffer;
  try {
    bytes = await readBounded(file, {
      maxBytes: MAX_TDL_BYTES,
      signal: options.signal,
      tooLarge: (label, max) => new OzkitError('BAD_TDL', `${label}: larger than a TDL may be (${max} bytes)`),
    });
  } catch (error) {
    if (error instanceof OzkitError || options.signal?.aborted) throw error;
    throw new OzkitError('INPUT_MISSING', `${label}: cannot read ${what}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if (options.expectedSha256 !== undefined && createHash('sha256').update(bytes).digest('hex') !== options.expectedSha256)
    throw new OzkitError('BAD_TDL', `${label}: changed since tdl-validate read it`, { hint: 'run the pipeline again from tdl-validate' });
  try {
    return readXml(decodeSource(bytes));
  } catch {
    throw new OzkitError('BAD_TDL', `${label}: no longer a readable TDL`, { hint: 'run the pipeline again from tdl-validate' });
  }
}

/** The first child element called `name`. */
export function childElement(el: XmlElement | undefined, name: string): XmlElement | undefined {
  return el?.children.find((c): c is XmlElement => c.kind === 'element' && c.name === name);
}

/** An element's text, trimmed. */
export function elementText(el: XmlElement | undefined): string | undefined {
  return el?.children
    .map((c) => (c.kind === 'text' ? c.text : ''))
    .join('')
    .trim();
}
