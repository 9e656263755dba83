import { OzkitError } from '@ozkit/errors';
import type { BuildDocument } from '@ozkit/build-document';
import { defineStage, type CommandContext } from '@ozkit/command';
import type { GenerateIcicleOptions, GenerateIcicleResult } from './generate-icicle.js';
import type { LiveOptions } from './live-inventory.js';

export interface IcicleGenStageOptions {
  generate: Omit<GenerateIcicleOptions, 'inventory' | 'live' | 'writeXml'>;
  /** --live: where to list the packages now (else the document's inventory is read). */
  live?: Omit<LiveOptions, 'logger' | 'signal'>;
  /** [icicle] safe_generation: a document without an inventory boots its image on an overlay. */
  safeGeneration?: Omit<LiveOptions, 'logger' | 'signal'>;
  /** --stdout: the XML goes to stdout; the document only to --out. */
  xmlToStdout: boolean;
  /** --out was given (with --stdout the document then needs a real XML file to point at). */
  documentOut: boolean;
}

/** icicle-gen: the ICICLE XML and SBOMs from the package inventory: `icicle`. */
export const icicleGenStage = defineStage({
  name: 'icicle-gen',
  needs: [],
  // Only the parts it reads: a document may lack an inventory (--live, safe generation).
  uses: ['workdir', 'template', 'answer', 'media', 'customize.inventory', 'customize.image', 'customize.guest', 'disk.path', 'disk.format', 'disk.buildKey'],
  produces: 'icicle',
  async run(doc, opts: IcicleGenStageOptions, ctx) {
    refuseStdoutWithoutFile(doc, opts);
    const live = await liveInventory(doc, opts, ctx);
    const { generateIcicle } = await import('./generate-icicle.js');
    // With --stdout and a workdir the XML is also kept there, so a document written with --out points at a real file.
    const result = await generateIcicle(doc, { ...opts.generate, ...live, writeXml: opts.xmlToStdout ? doc.workdir !== undefined : true });
    if (opts.xmlToStdout) await printXml(result.xml);
    else report(result, ctx);
    return result.doc;
  },
});

function refuseStdoutWithoutFile(doc: BuildDocument, opts: IcicleGenStageOptions): void {
  if (opts.xmlToStdout && opts.documentOut && !doc.workdir)
    throw new OzkitError('USAGE', 'the document has no workdir, so --stdout with --out would record an ICICLE file that does not exist', {
      hint: 'use -o FILE instead of --stdout to choose where the XML goes',
    });
}

/**
 * --live lists the packages now; so does [icicle] safe_generation (Oz's oz-generate-icicle
 * boots the image when asked for an ICICLE) for a document that has an image but no inventory.
 */
async function liveInventory(doc: BuildDocument, opts: IcicleGenStageOptions, ctx: CommandContext): Promise<Pick<GenerateIcicleOptions, 'inventory' | 'live'>> {
  const fallback = !opts.live && opts.safeGeneration && doc.customize?.inventory === undefined && (doc.customize?.image?.path ?? doc.disk?.path) !== undefined;
  const request = opts.live ?? (fallback ? opts.safeGeneration : undefined);
  if (!request) return {};
  if (fallback) ctx.logger.info('no customize.inventory in the document; [icicle] safe_generation: booting the image on a throw-away overlay');
  const { collectLiveInventory } = await import('./live-inventory.js');
  const live = await collectLiveInventory(doc, { ...request, logger: ctx.logger, signal: ctx.signal });
  ctx.logger.info(`${live.inventory.packages.length} ${live.inventory.format} packages on ${live.distro.prettyName ?? live.distro.id}`);
  return { inventory: live.inventory, live: { distro: live.distro, where: live.where, hostKey: live.hostKey } };
}

function printXml(xml: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    process.stdout.write(xml, (error) => (error ? reject(new OzkitError('IO', `cannot write to stdout: ${error.message}`)) : resolve()));
  });
}

function report(result: GenerateIcicleResult, ctx: CommandContext): void {
  ctx.logger.info(`wrote ${result.doc.icicle!.xml} (${result.doc.icicle!.packages} packages)`);
  for (const s of result.sboms) ctx.logger.info(`wrote ${s.path} (${s.format})`);
}
