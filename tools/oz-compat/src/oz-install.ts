import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { execa } from 'execa';
import { OzkitError, type ExitCodeValue } from '@ozkit/errors';
import type { BuildDocument } from '@ozkit/build-document';
import { parseTdl, readTdlBytes } from '@ozkit/tdl';
import { ozUsageError, verbosityFlags, type OzCommandLine, type OzOption } from './oz-getopt.js';
import { ozBuildDir, ozImagePath, ozLibvirtXmlName, ozSettings, type OzSettings } from './oz-config.js';
import { domainXml } from './libvirt-xml.js';
import { runStageCli } from './stage-cli.js';
import type { OzCommand } from './oz-command.js';

export const ozInstallOptions: OzOption[] = [
  { short: 'a', long: 'auto', value: true, arg: 'auto', help: 'use this kickstart/preseed/autoinstall/AutoYaST file instead of the default one' },
  { short: 'b', long: 'disk-bus', value: true, arg: 'disk_bus', help: 'disk bus: virtio or ide (default: what the OS needs)' },
  { short: 'c', long: 'config', value: true, arg: 'config', help: 'config file (default ~/.oz/oz.cfg, then /etc/oz/oz.cfg for root)' },
  { short: 'd', long: 'debug', value: true, arg: 'level', help: 'log level: 0 errors only (default), 1 warnings, 2 information, 3 all, 4 all + stack traces' },
  { short: 'f', long: 'force-download', help: 'fetch and remaster the media again and install again, ignoring the caches' },
  { short: 'g', long: 'generate-icicle', help: 'generate the ICICLE package manifest after the install' },
  { short: 'h', long: 'help', help: 'print this help' },
  { short: 'i', long: 'icicle', value: true, arg: 'icicle', help: 'write the ICICLE to this file (only with -g; default stdout)' },
  { short: 'm', long: 'mac-address', value: true, arg: 'mac_address', help: 'accepted and ignored: guests use user-mode networking' },
  { short: 'n', long: 'network-device', value: true, arg: 'net_dev', help: 'accepted and ignored: the guest NIC is virtio' },
  { short: 'p', long: 'cleanup', help: 'remove an existing image (and build) of the same name first' },
  { short: 's', long: 'disk', value: true, arg: 'disk', help: 'write the image to this absolute path (default <output_dir>/<name>.<image_type>)' },
  { short: 't', long: 'timeout', value: true, arg: 'timeout', help: 'install timeout in seconds (default [timeouts] install)' },
  { short: 'u', long: 'customize', help: 'customize after the install (repositories, packages, files, commands; then sealed)' },
  { short: 'x', long: 'xmlfile', value: true, arg: 'xmlfile', help: 'write the libvirt XML here (default <name><Mon_DD_YYYY-HH:MM:SS>)' },
];

const opt = (line: OzCommandLine, name: string) => {
  const v = line.options.get(name);
  return typeof v === 'string' ? v : undefined;
};

/** The TDL's <name>, through the TDL library the stage uses (its errors are tdl-validate's). */
export async function templateName(file: string): Promise<string> {
  const { path, bytes } = await readTdlBytes(file);
  return parseTdl(bytes, { path, label: file, checkLocalFiles: false }).template.name;
}

/** The stage CLIs' shared flags: the log level and the config file Oz would read. */
export const stageFlags = (verbosity: number, settings: OzSettings) => [...verbosityFlags(verbosity), ...(settings.configFile ? ['-c', settings.configFile] : [])];

export const ozInstall: OzCommand = {
  tool: 'oz-install',
  synopsis: 'oz-install [OPTIONS] <tdl>',
  options: ozInstallOptions,
  footer: 'Runs tdl-validate | ks-render | iso-fetch | guest-install [| guest-customize] [| icicle-gen]; see README "Coming from Oz".',
  async run(line, ctx, verbosity) {
    const tool = 'oz-install';
    if (line.positionals.length !== 1)
      throw ozUsageError(tool, line.positionals.length === 0 ? 'no TDL given' : `one TDL expected, got ${line.positionals.length} arguments`);
    const generate = line.options.has('generate-icicle');
    const customize = line.options.has('customize');
    const icicleFile = opt(line, 'icicle');
    if (icicleFile !== undefined && !generate)
      throw new OzkitError('USAGE', 'The -i option must be combined with the -g option', { exitCode: 3 as ExitCodeValue, hint: 'add -g, or drop -i' });
    const timeout = opt(line, 'timeout');
    if (timeout !== undefined && !/^\d+$/.test(timeout)) throw ozUsageError(tool, `-t wants whole seconds (got ${JSON.stringify(timeout)})`);
    const bus = opt(line, 'disk-bus');
    if (bus !== undefined && bus !== 'virtio' && bus !== 'ide') throw ozUsageError(tool, `-b: disk bus must be virtio or ide (got ${JSON.stringify(bus)})`);
    for (const ignored of ['mac-address', 'network-device'] as const)
      if (line.options.has(ignored)) ctx.logger.warn(`--${ignored} ${opt(line, ignored)}: ignored (guests get QEMU user-mode networking with a virtio NIC)`);

    const settings = ozSettings(opt(line, 'config'));
    const tdl = resolve(line.positionals[0]);
    const name = await templateName(tdl);
    const disk = opt(line, 'disk');
    if (disk !== undefined && !isAbsolute(disk))
      throw new OzkitError('USAGE', `-s ${disk}: the output disk image must be an absolute path`, { exitCode: 1 as ExitCodeValue });
    const image = disk ?? ozImagePath(settings, name);
    const build = ozBuildDir(settings.config, name);
    if (line.options.has('cleanup')) {
      ctx.logger.info(`removing an earlier ${name}: ${image}, ${build}`);
      rmSync(image, { force: true });
      rmSync(build, { recursive: true, force: true });
    } else if (existsSync(image)) {
      throw new OzkitError('USAGE', `Diskimage ${image} already exists`, { hint: 'remove it, or run with -p to replace it' });
    }
    mkdirSync(build, { recursive: true });
    mkdirSync(dirname(image), { recursive: true });

    const flags = stageFlags(verbosity, settings);
    const step = async (tool: string, args: string[], out: string) => runStageCli(tool, [...flags, ...args], join(build, out), ctx.signal);
    const force = line.options.has('force-download');
    await step('tdl-validate', ['--workdir', build, tdl], 'template.json');
    const auto = opt(line, 'auto');
    await step('ks-render', [...(auto !== undefined ? ['--auto', resolve(auto)] : []), '--in', join(build, 'template.json')], 'answer.json');
    await step('iso-fetch', [...(force ? ['--force'] : []), '--in', join(build, 'answer.json')], 'media.json');
    const installed = await step(
      'guest-install',
      [
        '--image-type',
        settings.imageType,
        ...(timeout ? ['--timeout', timeout] : []),
        ...(bus ? ['--disk-bus', bus] : []),
        ...(force ? ['--no-jeos-cache'] : []),
        '--in',
        join(build, 'media.json'),
      ],
      'disk.json',
    );
    let last: { doc: BuildDocument; path: string };
    if (customize) {
      last = { doc: await step('guest-customize', ['--in', join(build, 'disk.json'), '--output', image], 'image.json'), path: join(build, 'image.json') };
    } else {
      // Oz's image stands alone: a JEOS-cache overlay is flattened on the way to output_dir.
      const partial = join(dirname(image), `.${name}.${process.pid}.partial`);
      try {
        const fmt = installed.disk!.format;
        await execa('qemu-img', ['convert', '-f', fmt, '-O', fmt, installed.disk!.path, partial], { stdin: 'ignore', cancelSignal: ctx.signal });
        renameSync(partial, image);
      } catch (error) {
        rmSync(partial, { force: true });
        throw new OzkitError('IO', `${image}: cannot write the image: ${(error as { stderr?: string }).stderr?.trim() || (error as Error).message}`);
      }
      last = { doc: { ...installed, disk: { ...installed.disk!, path: image } }, path: join(build, 'installed.json') };
      writeFileSync(last.path, JSON.stringify(last.doc) + '\n');
    }
    ctx.logger.info(`image: ${image}`);

    if (generate) {
      const xml = icicleFile !== undefined ? resolve(icicleFile) : join(build, 'icicle.xml');
      const live = customize ? [] : ['--live', '--image', image];
      await step('icicle-gen', [...live, '-o', xml, '--in', last.path], 'icicle.json');
      if (icicleFile === undefined) process.stdout.write(readFileSync(xml, 'utf8'));
      else process.stdout.write(`ICICLE XML was written to ${icicleFile}\n`);
    }

    const xmlFile = opt(line, 'xmlfile') ?? ozLibvirtXmlName(name);
    const d = last.doc.disk!;
    const format = last.doc.customize?.image.format ?? d.format;
    writeFileSync(
      xmlFile,
      domainXml({
        name,
        disk: { path: image, format, bus: d.bus },
        memoryMiB: settings.config.settings.memoryMiB,
        cpus: settings.config.settings.cpus,
        document: last.path,
      }),
    );
    process.stdout.write(`Libvirt XML was written to ${xmlFile}\n`);
  },
};
