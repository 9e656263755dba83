import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { XMLParser } from 'fast-xml-parser';
import { OzkitError } from '@ozkit/errors';
import type { Template } from '@ozkit/build-document';

/**
 * The root password of a validated template, read again from the TDL file it came from
 * (passwords never travel in the build document). Refuses a TDL that changed since validation.
 */
export async function readRootPassword(template: Template): Promise<string | undefined> {
  const ref = template.os.rootpw;
  if (!ref) return undefined;
  let bytes: Buffer;
  try {
    bytes = await readFile(ref.file);
  } catch (error) {
    throw new OzkitError('INPUT_MISSING', `${ref.file}: cannot read the root password: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (ref.file === template.source.path && sha256 !== template.source.sha256)
    throw new OzkitError('BAD_TDL', `${ref.file}: changed since tdl-validate read it`, {
      hint: 'run the pipeline again from tdl-validate',
    });
  const parser = new XMLParser({ parseTagValue: false, processEntities: false, ignoreDeclaration: true, ignoreAttributes: true });
  const parsed = parser.parse(bytes.toString('utf8').replace(/^\uFEFF/, '')) as { template?: { os?: { rootpw?: unknown } } };
  const value = parsed.template?.os?.rootpw;
  if (typeof value !== 'string') throw new OzkitError('BAD_TDL', `${ref.file}: no <rootpw> where tdl-validate found one`);
  return unescapeXml(value);
}

function unescapeXml(text: string): string {
  return text.replace(/&(lt|gt|amp|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);/g, (_, e: string) => {
    if (e === 'lt') return '<';
    if (e === 'gt') return '>';
    if (e === 'amp') return '&';
    if (e === 'quot') return '"';
    if (e === 'apos') return "'";
    return String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
  });
}
