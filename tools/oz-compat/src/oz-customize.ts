import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { OzkitError } from '@ozkit/errors';
import type { BuildDocument } from '@ozkit/build-document';
import { ozUsageError, type OzCommandLine, type OzOption } from './oz-getopt.js';
import { ozSettings } from './oz-config.js';
import { readDomainXml } from './libvirt-xml.js';
import { runStageCli } from './stage-cli.js';
import { stageFlags } from './oz-install.js';
import type { OzCommand } from './oz-command.js';

export const ozCustomizeOptions: OzOption[] = [
  { short: 'c', long: 'config', value: true, arg: 'config', help: 'config file (default ~/.oz/oz.cfg, then /etc/oz/oz.cfg for root)' },
  { short: 'd', long: 'debug', value: true, arg: 'level', help: 'log level: 0 errors only (default), 1 warnings, 2 information, 3 all, 4 all + stack traces' },
  { short: 'h', long: 'help', help: 'print this help' },
  { short: 'm', long: 'mac-address', value: true, arg: 'mac_address', help: 'accepted and ignored: guests use user-mode networking' },
];

/**
 * The build an oz-install libvirt XML points to, with the disk the XML names; refused when that
 * image was sealed (customized already: its build key is gone, so nothing can log in).
 */
export function buildOfDomain(xmlFile: string): { doc: BuildDocument; documentPath: string; disk: { path: string; format: 'raw' | 'qcow2' } } {
  const { disk, document } = readDomainXml(xmlFile);
  let doc: BuildDocument;
  try {
    doc = JSON.parse(readFileSync(document, 'utf8')) as BuildDocument;
  } catch (error) {
    throw new OzkitError(
      'INPUT_MISSING',
      `${document}: the build document ${xmlFile} names cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      {
        hint: 'oz-install keeps it in <data_dir>/oz-compat/<name>; run oz-install again',
      },
    );
  }
  if (!doc.disk?.buildKey) throw new OzkitError('BAD_DOCUMENT', `${document}: no disk.buildKey: not an installed image's build`);
  return { doc, documentPath: document, disk };
}

/** The two arguments of oz-customize and oz-generate-icicle, read: the config, the TDL, and the build the XML names. */
export function openDomainBuild(tool: string, line: OzCommandLine) {
  if (line.positionals.length !== 2) throw ozUsageError(tool, `a TDL and a libvirt XML file expected, got ${line.positionals.length} arguments`);
  const settings = ozSettings(line.options.get('config') as string | undefined);
  const [tdl, xmlFile] = line.positionals.map((p) => resolve(p));
  const found = buildOfDomain(xmlFile);
  return { settings, tdl, xmlFile, ...found, build: found.doc.workdir ?? resolve(found.documentPath, '..') };
}

export const ozCustomize: OzCommand = {
  tool: 'oz-customize',
  synopsis: 'oz-customize [OPTIONS] <tdl> <libvirt_xml_file>',
  options: ozCustomizeOptions,
  footer: 'Customizes the image the libvirt XML names, in place (guest-customize --output <that image>).',
  async run(line, ctx, verbosity) {
    if (line.options.has('mac-address')) ctx.logger.warn('--mac-address: ignored (guests get QEMU user-mode networking)');
    const { settings, tdl, doc, disk, build } = openDomainBuild('oz-customize', line);
    if (doc.customize?.seal?.operations.some((o) => o.op === 'build-key' && o.done))
      throw new OzkitError('BAD_IMAGE', `${disk.path}: already customized and sealed (its build key was removed), so it cannot be logged into again`, {
        hint: 'customize an image oz-install made without -u, or run oz-install -p -u with the new TDL',
      });
    const flags = stageFlags(verbosity, settings);
    // The TDL given now says what to customize; the rest of the build is the one that installed the image.
    const validated = await runStageCli('tdl-validate', [...flags, '--workdir', build, tdl], join(build, 'customize-template.json'), ctx.signal);
    const input: BuildDocument = {
      ...doc,
      template: validated.template,
      stages: [...(doc.stages ?? []), ...(validated.stages ?? [])],
      disk: { ...doc.disk!, ...disk },
    };
    const inputPath = join(build, 'customize-in.json');
    writeFileSync(inputPath, JSON.stringify(input) + '\n');
    await runStageCli('guest-customize', [...flags, '--in', inputPath, '--output', disk.path], join(build, 'customized.json'), ctx.signal);
    ctx.logger.info(`customized ${disk.path}`);
  },
};
