import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { OzOption } from './oz-getopt.js';
import { runStageCli } from './stage-cli.js';
import { openDomainBuild } from './oz-customize.js';
import { stageFlags } from './oz-install.js';
import type { OzCommand } from './oz-command.js';

export const ozGenerateIcicleOptions: OzOption[] = [
  { short: 'c', long: 'config', value: true, arg: 'config', help: 'config file (default ~/.oz/oz.cfg, then /etc/oz/oz.cfg for root)' },
  { short: 'd', long: 'debug', value: true, arg: 'level', help: 'log level: 0 errors only (default), 1 warnings, 2 information, 3 all, 4 all + stack traces' },
  { short: 'h', long: 'help', help: 'print this help' },
  { short: 'i', long: 'icicle', value: true, arg: 'icicle', help: 'write the ICICLE to this file (default stdout)' },
];

export const ozGenerateIcicle: OzCommand = {
  tool: 'oz-generate-icicle',
  synopsis: 'oz-generate-icicle [OPTIONS] <tdl> <libvirt_xml_file>',
  options: ozGenerateIcicleOptions,
  footer:
    'A customized (sealed) image: the inventory its customization took; otherwise the image is booted on a throw-away overlay and listed (icicle-gen --live --image).',
  async run(line, ctx, verbosity) {
    const { settings, doc, documentPath, disk, build } = openDomainBuild('oz-generate-icicle', line);
    const icicleFile = line.options.get('icicle') as string | undefined;
    const xml = icicleFile !== undefined ? resolve(icicleFile) : join(build, 'icicle.xml');
    // A sealed image cannot be logged into; its inventory was taken just before sealing.
    const live = doc.customize?.inventory ? [] : ['--live', '--image', disk.path];
    await runStageCli('icicle-gen', [...stageFlags(verbosity, settings), ...live, '-o', xml, '--in', documentPath], join(build, 'icicle.json'), ctx.signal);
    if (icicleFile === undefined) process.stdout.write(readFileSync(xml, 'utf8'));
    else process.stdout.write(`ICICLE XML was written to ${icicleFile}\n`);
  },
};
