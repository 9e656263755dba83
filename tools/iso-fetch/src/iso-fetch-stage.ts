import { createHash } from 'node:crypto';
import { chmod, mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { OzkitError } from '@ozkit/errors';
import { checkDocumentPath, type Answer, type BootMedia, type BuildDocument, type DocumentWith, type Media, type Template } from '@ozkit/build-document';
import { cacheArea, resolveWorkdir, type Settings } from '@ozkit/config';
import { ContentStore, ensureFreeSpace } from '@ozkit/cache';
import { redactUrls, silentLogger, type Logger } from '@ozkit/log';
import type { BootEntry } from './boot-entry.js';
import { composeArgs, locatorArgs, type BootMode } from './boot-arguments.js';
import { parseChecksumSpec, type ChecksumSpec } from './checksum.js';
import { defaultRetryPolicy, hashFile, type RetryPolicy } from './http-download.js';
import { extractFiles, type IsoChange } from './iso-image.js';
import { labelTextOf, readIsoBootLayout, type IsoBootLayout } from './iso-boot-layout.js';
import { buildAnswerInitrd } from './initrd-answer.js';
import { fetchTreeBootFiles } from './install-tree.js';
import { isoExtras } from './iso-extras.js';
import { parseMediaSource } from './media-source.js';
import { fetchOriginal, originalRecord, resolveChecksum, type FetchContext, type FetchedFile } from './original-media.js';
import { remasterIso } from './remaster.js';

export type BootMethod = 'iso' | 'kernel';

export interface IsoFetchOptions {
  /** `bootIsoFormat` left out (library callers): the setting's default, qcow2. */
  settings: Pick<Settings, 'cacheDir' | 'offline' | 'cacheOriginalMedia' | 'cacheModifiedMedia' | 'workdir' | 'outputDir'> &
    Partial<Pick<Settings, 'bootIsoFormat'>>;
  logger?: Logger;
  signal?: AbortSignal;
  /** --iso: use this ISO (path or URL) instead of the TDL's install source; both are recorded. */
  iso?: string;
  /** --boot: default iso for ISO installs, kernel for url installs. */
  boot?: BootMethod;
  /** --checksum: overrides the TDL's (sha256:<hex>, a SUMS URL/path, or none). */
  checksum?: string;
  /** -f/--force: ignore cached media (original and modified) and fetch again. */
  force?: boolean;
  policy?: Partial<RetryPolicy>;
  /** Resolves relative paths given on the command line. */
  cwd?: string;
  /** Recorded in the modified-media cache key, so a new ozkit rebuilds cached ISOs. */
  toolVersion?: string;
}

/**
 * The iso-fetch stage: fetch, verify and cache the install media, then make it boot the
 * answer file — a remastered ISO, or the installer's kernel + an initrd carrying the answer
 * file — and record it all in `media`.
 */
export async function isoFetch(doc: DocumentWith<'template' | 'answer'>, options: IsoFetchOptions): Promise<BuildDocument> {
  const { template, answer } = doc;
  if (options.iso !== undefined && options.iso.trim() === '')
    throw new OzkitError('USAGE', '--iso needs a path or URL (got an empty string)', {
      hint: "give --iso PATH|URL, or leave it out to use the TDL's install source",
    });
  const logger = options.logger ?? silentLogger('iso-fetch');
  const workdir = doc.workdir ?? resolveWorkdir(options.settings, template.name, options.cwd);
  await checkAnswerFiles(answer, workdir, options.settings.cacheDir);
  const mediaDir = join(workdir, 'media');
  // Boot media carry the answer file (a root password hash, the build key): private, like it.
  await mkdir(mediaDir, { recursive: true, mode: 0o700 });
  await chmod(mediaDir, 0o700);
  await removeStaleScratch(mediaDir);
  const refs = new ContentStore(cacheArea(options.settings, 'isos'));
  const ctx: FetchContext = {
    logger,
    signal: options.signal,
    policy: { ...defaultRetryPolicy, ...options.policy },
    offline: options.settings.offline,
    force: Boolean(options.force),
    store: options.settings.cacheOriginalMedia ? refs : new ContentStore(join(workdir, 'downloads')),
    refs,
  };
  const install = template.os.install;
  // The document's <iso> has its credentials redacted; the download reads the real URL from the TDL.
  const isoSource = options.iso ?? (install.type === 'iso' ? await installIso(template, workdir, options.signal) : undefined);
  const method: BootMethod = options.boot ?? (isoSource ? 'iso' : 'kernel');
  let media: Media;
  if (isoSource) {
    const source = parseMediaSource(isoSource, options.cwd, options.iso ? '--iso' : 'TDL <iso>');
    const spec = checksumSpec(template, options);
    const names = [source.name];
    if (install.type === 'iso' && options.iso) names.push(parseMediaSource(install.iso, options.cwd).name);
    const expected = await resolveChecksumFor(spec, names, ctx);
    const fetched = await fetchOriginal(source, expected, ctx);
    media = await bootFromIso(fetched, method, template, answer, { ...options, logger, workdir: mediaDir, ctx });
    // Both the TDL's source and the override are recorded, so the document says what was replaced.
    if (options.iso) media.requested = { tdl: redactUrls(install.type === 'iso' ? install.iso : install.url), override: redactUrls(options.iso) };
  } else {
    if (install.type !== 'url') throw new OzkitError('INTERNAL', 'install source is neither iso nor url');
    if (method === 'iso')
      throw new OzkitError('USAGE', `--boot iso needs an ISO, but the TDL installs from the tree ${install.url}`, {
        hint: 'drop --boot iso (url installs boot the installer kernel), or give --iso PATH|URL',
      });
    media = await bootFromTree(install.url, template, answer, { logger, workdir: mediaDir, ctx, signal: options.signal });
  }
  return { ...doc, workdir, media };
}

/**
 * The TDL's <iso>: the TDL is parsed again (its parser loaded) only when the document's copy has
 * credentials redacted (`user:***@`, what redactUrls writes); otherwise the document's is the TDL's.
 */
async function installIso(template: Template, workdir: string, signal?: AbortSignal): Promise<string | undefined> {
  const install = template.os.install;
  if (install.type !== 'iso') return undefined;
  if (!install.iso.includes('***@')) return install.iso;
  const { readInstallIso } = await import('@ozkit/tdl');
  return readInstallIso(template, { workdir, ...(signal ? { signal } : {}) });
}

/**
 * The answer file goes onto boot media and into the guest: it must be the one ks-render wrote
 * in this build (inside the workdir, a regular file) and still have the sha256 it recorded.
 */
async function checkAnswerFiles(answer: Answer, workdir: string, cacheDir: string): Promise<void> {
  const scope = { workdir, folders: [cacheDir] };
  const answerPath = checkDocumentPath(answer.path, 'answer.path', scope, { regularFile: true });
  (answer.extraFiles ?? []).forEach((extra, i) => checkDocumentPath(extra.path, `answer.extraFiles[${i}].path`, scope, { regularFile: true }));
  const { digests } = await hashFile(answerPath, []).catch((error: Error) => {
    throw new OzkitError('INPUT_MISSING', `answer.path: ${answer.path}: cannot read the answer file: ${(error as NodeJS.ErrnoException).code ?? error.message}`, {
      hint: 'rerun ks-render',
    });
  });
  if (digests.sha256 !== answer.sha256)
    throw new OzkitError(
      'BAD_DOCUMENT',
      `answer.path: ${answer.path} has sha256 ${digests.sha256}, but answer.sha256 says ${answer.sha256}: the answer file changed after ks-render wrote it`,
      {
        hint: 'rerun ks-render (edit the TDL or --auto file, not the rendered answer file)',
      },
    );
}

/** Scratch folders of runs that were killed (SIGKILL leaves them): no other run uses this workdir's. */
async function removeStaleScratch(mediaDir: string): Promise<void> {
  for (const name of await readdir(mediaDir)) if (name.startsWith('.ozkit-iso-')) await rm(join(mediaDir, name), { recursive: true, force: true });
}

function checksumSpec(template: Template, options: IsoFetchOptions): ChecksumSpec {
  if (options.checksum !== undefined) return parseChecksumSpec(options.checksum, undefined, '--checksum');
  const install = template.os.install;
  if (install.type !== 'iso' || !install.checksum) return { type: 'none' };
  return parseChecksumSpec(install.checksum.value, install.checksum.kind, `${template.source.path}: <${install.checksum.kind}sum>`);
}

async function resolveChecksumFor(spec: ChecksumSpec, names: string[], ctx: FetchContext) {
  let lastError: unknown;
  for (const name of names) {
    try {
      return await resolveChecksum(spec, name, ctx);
    } catch (error) {
      if (!(error instanceof OzkitError) || error.code !== 'BAD_MEDIA') throw error;
      lastError = error;
    }
  }
  throw lastError;
}

interface BootContext {
  logger: Logger;
  workdir: string;
  ctx: FetchContext;
  signal?: AbortSignal;
}

function argsBuilder(template: Template, answer: Answer, mode: BootMode, layout: { volumeId?: string; labelText?: string; treeUrl?: string }) {
  const locator = locatorArgs({
    family: answer.family,
    format: answer.format,
    osName: template.os.name,
    osVersion: template.os.version,
    mode,
    volumeId: layout.volumeId,
    labelText: layout.labelText,
    onIso: answer.placement.onIso,
    inInitrd: answer.placement.inInitrd,
    treeUrl: layout.treeUrl,
  });
  return (entry: Pick<BootEntry, 'args'>) => composeArgs(entry.args, locator, answer.kernelArgs, template.os.kernelparam);
}

/** The answer file and its companions at their places on the ISO. */
function answerIsoFiles(answer: Answer): IsoChange[] {
  const files: IsoChange[] = [{ local: answer.path, isoPath: answer.placement.onIso }];
  for (const extra of answer.extraFiles ?? []) files.push({ local: extra.path, isoPath: posix.join(posix.dirname(answer.placement.onIso), extra.name) });
  return files;
}

async function bootFromIso(fetched: FetchedFile, method: BootMethod, template: Template, answer: Answer, options: IsoFetchOptions & BootContext): Promise<Media> {
  const { logger, workdir } = options;
  const layout = await readIsoBootLayout(fetched.path, options.signal, workdir);
  try {
    const labelText = labelTextOf(layout.entry);
    const volumeId = layout.info.volumeId;
    const common = {
      original: originalRecord(fetched, 'iso'),
      volumeId,
      layout: {
        bios: layout.info.biosImage ?? null,
        efi: layout.info.efiImage ?? (layout.info.efiHidden ? 'appended partition' : null),
        syslinux: layout.syslinux?.top ?? null,
        grub: layout.grub.map((g) => g.where),
        entry: { label: layout.entry.label, kernel: layout.entry.kernel, initrds: layout.entry.initrds },
      },
    };
    const extras = await isoExtras(template);
    // Subiquity reads the answer from the CD (nocloud), and TDL extras belong on the CD: then
    // even a kernel boot gets a remastered ISO to attach.
    const needsIso = method === 'iso' || answer.format === 'autoinstall' || extras.changes.length > 0;
    let remastered: Remastered | undefined;
    if (needsIso) {
      const argsFor = argsBuilder(template, answer, 'iso', { volumeId, labelText });
      remastered = await modifiedIso(fetched, layout, answer, extras, argsFor, options);
    }
    if (method === 'iso') {
      const r = remastered!;
      logger.info(`boot ISO ready: ${r.path}${r.fromCache ? ' (cached)' : ''}`);
      const boot: BootMedia = { method: 'iso', iso: r.path, sha256: r.sha256, ...isoFormatFields(r, fetched) };
      return { ...common, boot, remaster: { edited: r.edited, mode: r.mode, fromCache: r.fromCache, commandLines: r.commandLines } };
    }
    // Direct kernel boot: the installer's kernel and initrd, the answer file appended to the initrd.
    const entry = layout.entry;
    const kernel = join(workdir, 'vmlinuz');
    const kernelWork = join(workdir, `.vmlinuz.${process.pid}.tmp`);
    const initrdParts = entry.initrds.map((_, i) => join(workdir, `.initrd-part-${i}.${process.pid}`));
    try {
      await extractFiles(
        fetched.path,
        [{ isoPath: entry.kernel, local: kernelWork }, ...entry.initrds.map((isoPath, i) => ({ isoPath, local: initrdParts[i] }))],
        options.signal,
      );
      await rename(kernelWork, kernel);
    } catch (error) {
      for (const p of [kernelWork, ...initrdParts]) await rm(p, { force: true });
      throw error;
    }
    const initrd = join(workdir, 'initrd.img');
    try {
      if (answer.format === 'autoinstall') {
        await joinInitrds(initrdParts, initrd);
      } else {
        await buildAnswerInitrd(initrdParts, initrd, answer, options.signal);
        await chmod(initrd, 0o600);
      }
    } finally {
      for (const p of initrdParts) await rm(p, { force: true });
    }
    const mode: BootMode = answer.format === 'autoinstall' ? 'iso' : 'kernel';
    const append = argsBuilder(template, answer, mode, { volumeId, labelText })(entry).join(' ');
    const boot: BootMedia = {
      method: 'kernel',
      kernel,
      initrd,
      append,
      iso: remastered?.path ?? fetched.path,
      ...(remastered ? isoFormatFields(remastered, fetched) : { isoFormat: 'raw' as const }),
    };
    if (remastered)
      logger.info(`attaching the remastered ISO ${remastered.path} (it carries ${answer.format === 'autoinstall' ? 'the autoinstall seed' : 'the TDL extras'})`);
    logger.info(`kernel boot ready: ${kernel} + ${initrd}`);
    return {
      ...common,
      boot,
      ...(remastered
        ? { remaster: { edited: remastered.edited, mode: remastered.mode, fromCache: remastered.fromCache, commandLines: remastered.commandLines } }
        : {}),
    };
  } finally {
    await layout.dispose();
  }
}

interface Remastered {
  path: string;
  /** Of the file at `path` (for a qcow2 overlay: the overlay file, not the medium it presents). */
  sha256: string;
  edited: string[];
  mode: string;
  format: 'qcow2' | 'raw';
  fromCache: boolean;
  commandLines: Record<string, string>;
}

/** `media.boot`'s account of the file at `iso`: a plain ISO, or an overlay on the original. */
function isoFormatFields(r: Remastered, fetched: FetchedFile): Pick<Extract<BootMedia, { method: 'iso' }>, 'isoFormat' | 'isoBacking'> {
  return r.format === 'qcow2' ? { isoFormat: 'qcow2', isoBacking: fetched.path } : { isoFormat: 'raw' };
}

/** Several initrd parts joined without adding anything (the answer travels on the ISO). */
async function joinInitrds(parts: string[], dest: string): Promise<void> {
  if (parts.length === 1) {
    await rename(parts[0], dest);
    return;
  }
  const chunks = await Promise.all(parts.map((p) => readFile(p)));
  await writeFile(dest, Buffer.concat(chunks));
}

async function modifiedIso(
  fetched: FetchedFile,
  layout: IsoBootLayout,
  answer: Answer,
  extras: { changes: IsoChange[]; fingerprint: string[] },
  argsFor: (entry: Pick<BootEntry, 'args'>) => string[],
  options: IsoFetchOptions & BootContext,
): Promise<Remastered> {
  const files = [...extras.changes, ...answerIsoFiles(answer)];
  const answerFiles = answerIsoFiles(answer);
  const fileHashes = await Promise.all(answerFiles.map(async (f) => ({ isoPath: f.isoPath, sha256: (await hashFile(f.local, [])).digests.sha256 })));
  const format = options.settings.bootIsoFormat ?? 'qcow2';
  // An overlay names its backing file: one on another copy of the same media is another object.
  const backing = format === 'qcow2' ? fetched.path : undefined;
  const key = createHash('sha256')
    .update(
      JSON.stringify({
        v: 1,
        tool: options.toolVersion ?? '',
        media: fetched.sha256,
        files: fileHashes,
        extras: extras.fingerprint,
        args: argsFor(layout.entry),
        ...(backing ? { format, backing } : {}),
      }),
    )
    .digest('hex');
  const run = async (dest: string) => remasterIso({ iso: fetched.path, layout, files, argsFor, dest, format, logger: options.logger, signal: options.signal });
  if (options.settings.cacheModifiedMedia) {
    const store = new ContentStore(cacheArea(options.settings, 'modified'), { private: true });
    return store.withLock(
      key,
      async () => {
        const ref = await store.readRef(`iso-${key}`);
        const hit = !options.force && ref ? await store.get(key) : undefined;
        if (hit && ref) {
          await store.touch(key);
          return {
            path: hit.path,
            sha256: String(ref.sha256),
            edited: ref.edited as string[],
            mode: String(ref.mode),
            format: ref.format === 'qcow2' ? 'qcow2' : 'raw',
            fromCache: true,
            commandLines: ref.commandLines as Record<string, string>,
          };
        }
        let result!: Awaited<ReturnType<typeof run>>;
        const entry = await store.put(
          key,
          async (work) => {
            result = await run(work);
          },
          { expectedBytes: format === 'qcow2' ? 64 << 20 : fetched.bytes },
        );
        const { sha256: written, ...recorded } = result;
        const sha256 = written ?? (await hashFile(entry.path, [])).digests.sha256;
        await store.writeRef(`iso-${key}`, {
          key,
          sha256,
          media: fetched.sha256,
          edited: recorded.edited,
          mode: recorded.mode,
          format: recorded.format,
          ...(recorded.format === 'qcow2' ? { backing: fetched.path } : {}),
          commandLines: recorded.commandLines,
        });
        return { path: entry.path, sha256, ...recorded, fromCache: false };
      },
      { signal: options.signal, onWait: () => options.logger.info('waiting for another build that is writing the same boot ISO') },
    );
  }
  const work = join(options.workdir, `.boot.${process.pid}.tmp`);
  // The overlay holds the superblock and the new session (MiBs); a rewrite may fall back to a full image.
  await ensureFreeSpace(options.workdir, format === 'qcow2' && !layout.info.appendedPartitions ? 64 << 20 : fetched.bytes, 'the boot ISO');
  try {
    const { sha256: written, ...result } = await run(work);
    await chmod(work, 0o600);
    const sha256 = written ?? (await hashFile(work, [])).digests.sha256;
    const dest = join(options.workdir, result.format === 'qcow2' ? 'boot.qcow2' : 'boot.iso');
    // A boot medium of the other format from an earlier run would only mislead.
    await rm(join(options.workdir, result.format === 'qcow2' ? 'boot.iso' : 'boot.qcow2'), { force: true });
    await rename(work, dest);
    return { path: dest, sha256, ...result, fromCache: false };
  } catch (error) {
    await rm(work, { force: true });
    throw error;
  }
}

async function bootFromTree(url: string, template: Template, answer: Answer, options: BootContext): Promise<Media> {
  const files = await fetchTreeBootFiles(url, answer.family, template.os.arch, options.ctx);
  const initrd = join(options.workdir, 'initrd.img');
  await buildAnswerInitrd([files.initrd.path], initrd, answer, options.signal);
  await chmod(initrd, 0o600);
  const append = argsBuilder(template, answer, 'tree', { treeUrl: url })({ args: files.baseArgs }).join(' ');
  options.logger.info(`kernel boot ready from ${url} (${files.layout})`);
  return {
    original: {
      url: redactUrls(url),
      kind: 'tree',
      path: posix.dirname(files.kernel.path),
      sha256: files.sha256,
      bytes: files.kernel.bytes + files.initrd.bytes,
      verified: files.kernel.verified && files.initrd.verified ? { kind: files.kernel.verified.algorithm as 'sha256', source: files.kernel.verified.source } : null,
      fromCache: files.kernel.fromCache && files.initrd.fromCache,
    },
    boot: { method: 'kernel', kernel: files.kernel.path, initrd, append },
    tree: {
      layout: files.layout,
      kernel: { url: redactUrls(files.kernel.url), path: files.kernel.path, sha256: files.kernel.sha256 },
      initrd: { url: redactUrls(files.initrd.url), path: files.initrd.path, sha256: files.initrd.sha256 },
    },
  };
}
