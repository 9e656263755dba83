import { createHash } from 'node:crypto';
import { OzkitError } from '@ozkit/errors';
import { checkDocumentPath, readBounded, type Template } from '@ozkit/build-document';
import { decodeSource, MAX_TDL_BYTES } from './source-text.js';
import { readXml, type XmlElement } from './xml-reader.js';

/**
 * The root password of a validated template, read again from the TDL file it came from
 * (passwords never travel in the build document). Refuses a TDL that changed since validation.
 */
export async function readRootPassword(template: Template, options: { workdir?: string; signal?: AbortSignal } = {}): Promise<string | undefined> {
  const ref = template.os.rootpw;
  if (!ref) return undefined;
  // The document names the file: it must be the TDL itself (the user's input) or in the workdir.
  const file = checkDocumentPath(ref.file, 'template.os.rootpw.file', { workdir: options.workdir, inputs: [template.source.path] }, { regularFile: true });
  let bytes: Buffer;
  try {
    bytes = await readBounded(file, {
      maxBytes: MAX_TDL_BYTES,
      signal: options.signal,
      tooLarge: (label, max) => new OzkitError('BAD_TDL', `${label}: larger than a TDL may be (${max} bytes)`),
    });
  } catch (error) {
    if (error instanceof OzkitError || options.signal?.aborted) throw error;
    throw new OzkitError('INPUT_MISSING', `${ref.file}: cannot read the root password: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (ref.file === template.source.path && sha256 !== template.source.sha256)
    throw new OzkitError('BAD_TDL', `${ref.file}: changed since tdl-validate read it`, {
      hint: 'run the pipeline again from tdl-validate',
    });
  let root: XmlElement;
  try {
    root = readXml(decodeSource(bytes));
  } catch {
    throw new OzkitError('BAD_TDL', `${ref.file}: no longer a readable TDL`, { hint: 'run the pipeline again from tdl-validate' });
  }
  const rootpw = child(child(root, 'os'), 'rootpw');
  const text = rootpw?.children
    .map((c) => (c.kind === 'text' ? c.text : ''))
    .join('')
    .trim();
  if (!text) throw new OzkitError('BAD_TDL', `${ref.file}: no <rootpw> where tdl-validate found one`);
  return text;
}

function child(el: XmlElement | undefined, name: string): XmlElement | undefined {
  return el?.children.find((c): c is XmlElement => c.kind === 'element' && c.name === name);
}
