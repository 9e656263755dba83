import { OzkitError } from '@ozkit/errors';
import { checkDocumentPath, type Template } from '@ozkit/build-document';
import { childElement, elementText, readTdlAgain } from './tdl-again.js';

/**
 * The root password of a validated template, read again from the TDL file it came from
 * (passwords never travel in the build document). Refuses a TDL that changed since validation.
 */
export async function readRootPassword(template: Template, options: { workdir?: string; signal?: AbortSignal } = {}): Promise<string | undefined> {
  const ref = template.os.rootpw;
  if (!ref) return undefined;
  // The document names the file: it must be the TDL itself (the user's input) or in the workdir.
  const file = checkDocumentPath(ref.file, 'template.os.rootpw.file', { workdir: options.workdir, inputs: [template.source.path] }, { regularFile: true });
  const root = await readTdlAgain(file, 'the root password', {
    expectedSha256: ref.file === template.source.path ? template.source.sha256 : undefined,
    signal: options.signal,
    label: ref.file,
  });
  const text = elementText(childElement(childElement(root, 'os'), 'rootpw'));
  if (!text) throw new OzkitError('BAD_TDL', `${ref.file}: no <rootpw> where tdl-validate found one`);
  return text;
}
