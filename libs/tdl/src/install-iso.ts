import { OzkitError } from '@ozkit/errors';
import { checkDocumentPath, type Template } from '@ozkit/build-document';
import { hasUrlCredentials, redactUrls } from '@ozkit/log';
import { childElement, elementText, readTdlAgain } from './tdl-again.js';

/** A URL whose credentials tdl-validate replaced (`user:***@`, `***@`). */
const REDACTED = /^[a-z][a-z0-9+.-]*:\/\/[^/?#@]*\*\*\*@/i;

/**
 * The template as the build document carries it: an `<iso>` URL's credentials redacted. The
 * stage that downloads it reads them again from the TDL (readInstallIso).
 */
export function redactInstallIso<T extends Template>(template: T): T {
  const install = template.os.install;
  if (install.type !== 'iso' || !hasUrlCredentials(install.iso)) return template;
  return { ...template, os: { ...template.os, install: { ...install, iso: redactUrls(install.iso) } } };
}

/**
 * The TDL's `<iso>` as the download needs it. The build document's copy has a URL's
 * credentials redacted (`user:***@`, see tdl-validate); the real value is read again from the
 * TDL file, which must still be the one tdl-validate read.
 */
export async function readInstallIso(template: Template, options: { workdir?: string; signal?: AbortSignal } = {}): Promise<string | undefined> {
  const install = template.os.install;
  if (install.type !== 'iso') return undefined;
  if (!REDACTED.test(install.iso)) return install.iso;
  const file = checkDocumentPath(template.source.path, 'template.source.path', { workdir: options.workdir, inputs: [template.source.path] }, { regularFile: true });
  const root = await readTdlAgain(file, "the <iso> URL's credentials", {
    expectedSha256: template.source.sha256,
    signal: options.signal,
    label: template.source.path,
  });
  const iso = elementText(childElement(childElement(childElement(root, 'os'), 'install'), 'iso'));
  if (!iso || redactUrls(iso) !== install.iso)
    throw new OzkitError('BAD_DOCUMENT', `template.os.install.iso: ${install.iso} is not the <iso> of ${template.source.path}`, {
      hint: 'run the pipeline again from tdl-validate',
    });
  return iso;
}
