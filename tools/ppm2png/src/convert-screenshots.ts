import { isAbsolute, resolve } from 'node:path';
import { checkDocumentPath, type BuildDocument } from '@ozkit/build-document';
import { convertFiles, NETPBM_EXTENSION, pngPathFor, type BatchOptions, type BatchResult } from './convert-directory.js';

export interface ScreenshotsOptions extends BatchOptions {
  /** Folders besides the workdir where screenshots may be (the cache, the configured screenshot folder). */
  folders?: readonly (string | undefined)[];
}

export interface ScreenshotsResult extends BatchResult {
  /** The document with each converted screenshot's PNG path(s) listed right after it. */
  doc: BuildDocument;
  /** Netpbm screenshots the document listed. */
  listed: number;
}

/**
 * Document mode: converts the netpbm files listed under `failure.screenshots` (relative paths
 * are taken from the document's workdir) to PNGs beside them, and adds the PNG paths to that
 * list after their source (in its place with `removeSource`), so the next reader of the
 * document finds viewable screenshots.
 * A document without screenshots passes through unchanged.
 */
export async function convertDocumentScreenshots(doc: BuildDocument, options: ScreenshotsOptions = {}): Promise<ScreenshotsResult> {
  const screenshots = doc.failure?.screenshots;
  if (screenshots === undefined) return { doc, listed: 0, converted: [], failed: [] };
  // runStage has checked that failure.screenshots is a list of strings and workdir an absolute path.
  const base = doc.workdir ?? process.cwd();
  const where = (path: string) => (isAbsolute(path) ? path : resolve(base, path));
  const sources = screenshots.filter((s) => NETPBM_EXTENSION.test(s));
  // The document names the files: each one read, written beside or deleted must be inside the
  // build (checked all before any is touched, so a tampered entry converts nothing).
  const scope = { workdir: doc.workdir, folders: options.folders };
  screenshots.forEach((entry, i) => {
    if (!NETPBM_EXTENSION.test(entry)) return;
    const at = `failure.screenshots[${i}]`;
    checkDocumentPath(where(entry), at, scope, { use: options.removeSource ? 'delete' : 'read', regularFile: true });
    checkDocumentPath(pngPathFor(where(entry)), `${at} (its PNG)`, scope, { use: 'write' });
  });
  const result = await convertFiles(sources.map(where), options);
  const pngsOf = new Map(result.converted.map((file) => [file.input, file.images.map((image) => image.png.path!)]));
  const updated: string[] = [];
  for (const entry of screenshots) {
    const converted = pngsOf.has(where(entry));
    if (!updated.includes(entry) && !(converted && options.removeSource)) updated.push(entry);
    for (const png of pngsOf.get(where(entry)) ?? []) {
      // Keep the document's way of naming files: relative entries get relative PNG paths.
      const shown = isAbsolute(entry) ? png : entry.replace(NETPBM_EXTENSION, '') + png.slice(where(entry).replace(NETPBM_EXTENSION, '').length);
      if (!updated.includes(shown) && !screenshots.includes(shown)) updated.push(shown);
    }
  }
  const next: BuildDocument = { ...doc, failure: { ...doc.failure!, screenshots: updated } };
  return { doc: next, listed: sources.length, ...result };
}
