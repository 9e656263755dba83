import { createReadStream, createWriteStream } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { OzkitError } from '@ozkit/errors';
import type { Answer } from '@ozkit/build-document';
import { injectIntoInitrd, type NewcEntry } from '@ozkit/initrd';

/** The answer file (and its companions, e.g. autoinstall's meta-data) as initrd members. */
export async function answerInitrdEntries(answer: Answer): Promise<NewcEntry[]> {
  const target = answer.placement.inInitrd;
  const entries: NewcEntry[] = [{ name: target, type: 'file', mode: 0o600, data: await readAnswer(answer.path) }];
  for (const extra of answer.extraFiles ?? [])
    entries.push({ name: posix.join(posix.dirname(target), extra.name), type: 'file', mode: 0o600, data: await readAnswer(extra.path) });
  return entries;
}

async function readAnswer(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new OzkitError('INPUT_MISSING', `${path}: cannot read the answer file: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {
      hint: 'the document points at a file ks-render wrote; run the pipeline again from ks-render',
    });
  }
}

/**
 * Writes `dest` = the initrds concatenated (the kernel unpacks them in order) + a gzip member
 * with the answer file. Nothing is unpacked; no cpio binary is needed.
 */
export async function buildAnswerInitrd(sources: string[], dest: string, answer: Answer, signal?: AbortSignal): Promise<void> {
  const entries = await answerInitrdEntries(answer);
  if (sources.length === 1) {
    await injectIntoInitrd({ source: sources[0], dest, entries, signal });
    return;
  }
  const joined = `${dest}.joined`;
  try {
    const out = createWriteStream(joined);
    for (const s of sources) await pipeline(createReadStream(s), out, { end: false, signal });
    await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
    await injectIntoInitrd({ source: joined, dest, entries, signal });
  } finally {
    await rm(joined, { force: true });
  }
}
