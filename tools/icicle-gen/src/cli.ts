import { packageVersion, runCli, runStage } from '@ozkit/command';
import { OzkitError } from '@ozkit/errors';
import { loadConfig, settingFlags } from '@ozkit/config';
import type { SbomFormat } from './generate-icicle.js';
import type { LiveSource } from './live-inventory.js';
import type { IcicleGenStageOptions } from './stage-declaration.js';
import { cli } from './options.js';

const tool = cli.tool;
const version = packageVersion(new URL('../package.json', import.meta.url));

function sbomFormats(values: string[] | undefined): SbomFormat[] {
  const out: SbomFormat[] = [];
  for (const raw of values ?? []) {
    for (const v of raw
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter((s) => s !== '')) {
      if (v === 'both') out.push('cyclonedx', 'spdx');
      else if (v === 'cyclonedx' || v === 'cdx') out.push('cyclonedx');
      else if (v === 'spdx') out.push('spdx');
      else throw new OzkitError('USAGE', `--format ${v}: use cyclonedx, spdx or both`, { hint: `see ${tool} --help` });
    }
  }
  return [...new Set(out)];
}

function sourceDateEpoch(): number | undefined {
  const raw = process.env.SOURCE_DATE_EPOCH;
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw)) throw new OzkitError('USAGE', `SOURCE_DATE_EPOCH=${raw} is not a number of seconds`);
  return Number(raw);
}

await runCli(cli, { version, yargs: () => import('yargs') }, async (args, ctx) => {
  const formats = sbomFormats(args.format);
  const toStdout = args.stdout === true || args.output === '-';
  if (args.stdout && args.output !== undefined && args.output !== '-') {
    throw new OzkitError('USAGE', '--stdout and --output FILE both choose where the XML goes', { hint: 'use one of them' });
  }
  const liveFlags = ['host', 'key', 'host-key', 'extra-command', 'image', 'boot-timeout'].filter((f) => args[f as keyof typeof args] !== undefined);
  if (!args.live && liveFlags.length > 0) {
    throw new OzkitError('USAGE', `--${liveFlags[0]} only makes sense with --live`, { hint: `add --live, or see ${tool} --help` });
  }
  if (args.live && args.host === undefined && args.image === undefined) {
    throw new OzkitError('USAGE', '--live needs --host HOST (a running guest) or --image [FILE] (boot the image on a throw-away overlay)', {
      hint: `see ${tool} --help`,
    });
  }
  if (args.host !== undefined && args.image !== undefined) {
    throw new OzkitError('USAGE', '--host and --image both say where to list packages', { hint: 'use one of them' });
  }
  if (args.live && args.host !== undefined && (!Number.isInteger(args.port) || args.port < 1 || args.port > 65535))
    throw new OzkitError('USAGE', `--port ${args.port}: not a TCP port`);
  const config = loadConfig({ configFile: args.config, env: process.env, flags: settingFlags(cli.options, args) });
  const liveRequest = (source: LiveSource) => ({
    source,
    bootTimeoutSeconds: config.settings.timeoutBoot,
    settings: config.settings,
    user: args.user,
    key: args.key,
    hostKey: args['host-key'],
    extraCommand: args['extra-command'],
    commandTimeoutSeconds: args['command-timeout'],
  });
  const options: IcicleGenStageOptions = {
    generate: {
      output: toStdout ? undefined : args.output,
      sbomDir: args['sbom-dir'],
      formats,
      description: args.description,
      tool: { name: tool, version },
      sourceDateEpoch: sourceDateEpoch(),
    },
    live: args.live
      ? liveRequest(
          args.host !== undefined ? { kind: 'ssh', host: args.host, port: args.port } : { kind: 'image', image: args.image === '' ? undefined : args.image },
        )
      : undefined,
    safeGeneration: config.settings.icicleSafeGeneration ? liveRequest({ kind: 'image' }) : undefined,
    xmlToStdout: toStdout,
    documentOut: args.out !== undefined,
  };
  // --live may run without a document: a terminal or empty input on stdin (and no --in) starts
  // a fresh one, so `icicle-gen --live --host … < /dev/null` works in scripts.
  // The stage (SSH, the SBOM writers, the overlay boot) is loaded only now: --help and --version never need it.
  const { icicleGenStage } = await import('./stage-declaration.js');
  await runStage(icicleGenStage, options, { ctx, in: args.in, out: args.out, emptyStartsNew: args.live === true, documentToStdout: !toStdout });
});
