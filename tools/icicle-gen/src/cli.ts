import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { applyCliConventions, commonOptions, logSettingsFromArgv, documentOptions, hypervisorOptions, hypervisorFlags, packageVersion, runCommand, runStage } from '@ozkit/command';
import { OzkitError } from '@ozkit/errors';
import { loadConfig } from '@ozkit/config';
import type { SbomFormat } from './generate-icicle.js';
import type { LiveSource } from './live-inventory.js';
import { icicleGenStage, type IcicleGenStageOptions } from './stage-declaration.js';

const tool = 'icicle-gen';
const version = packageVersion(new URL('../package.json', import.meta.url));
const argv = hideBin(process.argv);

const examples: [string, string][] = [
  ['... | guest-customize | $0 > build.json', 'write <workdir>/icicle.xml and record it in the document'],
  ['... | $0 --format both > build.json', 'also write <workdir>/sbom.cdx.json (CycloneDX 1.6) and sbom.spdx.json (SPDX 2.3)'],
  ['$0 --in build.json --stdout', 'print the ICICLE XML instead of the document'],
  ['$0 --in build.json -o image.icicle.xml --format spdx --out build.json', 'choose the XML path; update the document in place'],
  ['$0 --live --host 127.0.0.1 --port 2222 --key ./id_ed25519 --stdout', 'list the packages of a running guest over SSH (no document needed)'],
  ['$0 --in build.json --live --image --out build.json', 'boot the (unsealed) image on a throw-away overlay and list its packages (Oz\'s safe_generation)'],
];

function sbomFormats(values: string[] | undefined): SbomFormat[] {
  const out: SbomFormat[] = [];
  for (const raw of values ?? []) {
    for (const v of raw.split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '')) {
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

await runCommand({ tool, version, ...logSettingsFromArgv(argv) }, async (ctx) => {
  const parser = applyCliConventions(
      yargs(argv)
      .scriptName(tool)
      .locale('en')
      .usage(
        [
          '$0 [options]',
          "Write the ICICLE package manifest (Oz's format, byte for byte) and, with --format, an SBOM (CycloneDX 1.6 / SPDX 2.3 JSON) from the package inventory guest-customize recorded. Reads the build document on stdin (or --in) and writes it on stdout (or --out) with \"icicle\" added; with --stdout (or -o -) stdout carries the XML instead and the document goes only to --out.",
          "ICICLE names are what Oz lists for the same system: NAME-VERSION-RELEASE.ARCH for rpm (plain `rpm -qa`), the `dpkg --get-selections` name for deb (libc6:amd64 for multi-arch packages).",
          'With [icicle] safe_generation = yes (OZKIT_ICICLE_SAFE_GENERATION), a document without an inventory gets one by booting its image on a throw-away overlay, as --live --image does.',
        ].join('\n\n'),
      )
      .options({
        ...commonOptions,
        ...documentOptions,
        ...hypervisorOptions,
        output: { alias: 'o', type: 'string', requiresArg: true, describe: 'ICICLE XML file (default <workdir>/icicle.xml; - for stdout)' },
        stdout: { type: 'boolean', describe: 'print the ICICLE XML on stdout instead of the document' },
        format: { alias: 'f', type: 'string', array: true, requiresArg: true, describe: 'also write an SBOM: cyclonedx, spdx or both (repeatable)' },
        'sbom-dir': { type: 'string', requiresArg: true, describe: 'directory for sbom.cdx.json / sbom.spdx.json (default the workdir)' },
        description: { type: 'string', requiresArg: true, describe: 'ICICLE <description> (default the TDL description)' },
        live: { type: 'boolean', describe: 'collect the inventory now over SSH instead of reading customize.inventory' },
        host: { type: 'string', requiresArg: true, describe: '--live: SSH host of a running guest' },
        port: { type: 'number', requiresArg: true, default: 22, describe: '--live: SSH port' },
        user: { type: 'string', requiresArg: true, default: 'root', describe: '--live: SSH user' },
        key: { type: 'string', requiresArg: true, describe: '--live: private key file (default the build key in the document)' },
        'host-key': { type: 'string', requiresArg: true, describe: '--live: expected host key fingerprint SHA256:… (default: shown, not checked)' },
        image: { type: 'string', describe: '--live: boot this image (default the document\'s) on a throw-away overlay instead of --host' },
        'boot-timeout': { type: 'number', requiresArg: true, describe: '--live --image: seconds to wait for SSH (default [timeouts] boot)' },
        'extra-command': { type: 'string', requiresArg: true, describe: '--live: os/icicle/extra_command to run (default the TDL\'s)' },
        'command-timeout': { type: 'number', requiresArg: true, default: 120, describe: '--live: seconds each remote command may take' },
      })
      .example(examples),
    tool,
    version,
  );
  const args = await parser.parseAsync();
  if (args.help || args.version) return;

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
    throw new OzkitError('USAGE', '--live needs --host HOST (a running guest) or --image [FILE] (boot the image on a throw-away overlay)', { hint: `see ${tool} --help` });
  }
  if (args.host !== undefined && args.image !== undefined) {
    throw new OzkitError('USAGE', '--host and --image both say where to list packages', { hint: 'use one of them' });
  }
  if (args.live && args.host !== undefined && (!Number.isInteger(args.port) || args.port < 1 || args.port > 65535))
    throw new OzkitError('USAGE', `--port ${args.port}: not a TCP port`);
  const config = loadConfig({ configFile: args.config, env: process.env, flags: hypervisorFlags(args) });
  const liveRequest = (source: LiveSource) => ({
    source,
    bootTimeoutSeconds: args['boot-timeout'] ?? config.settings.timeoutBoot,
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
      ? liveRequest(args.host !== undefined ? { kind: 'ssh', host: args.host, port: args.port } : { kind: 'image', image: args.image === '' ? undefined : args.image })
      : undefined,
    safeGeneration: config.settings.icicleSafeGeneration ? liveRequest({ kind: 'image' }) : undefined,
    xmlToStdout: toStdout,
    documentOut: args.out !== undefined,
  };
  // --live may run without a document: a terminal or empty input on stdin (and no --in) starts
  // a fresh one, so `icicle-gen --live --host … < /dev/null` works in scripts.
  await runStage(icicleGenStage, options, { ctx, in: args.in, out: args.out, emptyStartsNew: args.live === true, documentToStdout: !toStdout });
});
