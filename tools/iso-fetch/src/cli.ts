import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { applyCliConventions, commonOptions, logSettingsFromArgv, documentOptions, packageVersion, runCommand, runStage } from '@ozkit/command';
import { loadConfig } from '@ozkit/config';
import { OzkitError } from '@ozkit/errors';
import type { BootMethod } from './iso-fetch-stage.js';
import { isoFetchStage } from './stage-declaration.js';

const tool = 'iso-fetch';
const version = packageVersion(new URL('../package.json', import.meta.url));
const argv = hideBin(process.argv);

// Logging is set up before yargs runs, so usage errors are reported in the requested format.

await runCommand({ tool, version, ...logSettingsFromArgv(argv) }, async (ctx) => {
  const parser = applyCliConventions(
      yargs(argv)
      .scriptName(tool)
      .locale('en')
      .usage(
        `$0 [options] < build.json > build.json\n\n` +
          'Fetches, verifies and caches the install media named by the TDL, then makes it boot the answer file ' +
          'unattended: a remastered ISO (BIOS and UEFI boot menus edited, answer file added, volume ID and both ' +
          'El Torito entries kept) or the installer kernel with an initrd carrying the answer file. Adds `media`.',
      )
      .options({
        ...commonOptions,
        ...documentOptions,
        iso: { type: 'string', requiresArg: true, describe: 'use this ISO (path, file://, http(s)://) instead of the TDL install source; both are recorded' },
        boot: { type: 'string', choices: ['iso', 'kernel'], describe: 'boot media to make: a remastered ISO, or kernel+initrd (default: iso for ISO installs, kernel for url installs)' },
        checksum: { type: 'string', requiresArg: true, describe: 'verify against sha256:<hex> (or md5:/sha1:/sha512:), a SUMS file URL/path, or "none" (overrides the TDL)' },
        offline: { type: 'boolean', describe: 'use only cached media; fail (exit 69) naming what is missing' },
        force: { alias: 'f', type: 'boolean', describe: 'ignore cached media (original and modified) and fetch again' },
        'cache-dir': { type: 'string', requiresArg: true, describe: 'cache directory (default $OZKIT_CACHE_DIR, [paths] data_dir, ~/.cache/ozkit)' },
        workdir: { type: 'string', requiresArg: true, describe: 'build directory when the document has none' },
        retries: { type: 'number', default: 5, describe: 'retries of a failed transfer (with exponential backoff; transfers resume)' },
        'retry-wait': { type: 'number', default: 2, describe: 'seconds before the first retry (doubling each time)' },
        'idle-timeout': { type: 'number', default: 60, describe: 'seconds without data before a transfer counts as failed' },
      })
      .example('tdl-validate centos7.tdl | ks-render | $0 | guest-install', 'the usual pipeline')
      .example('$0 --in build.json --out build.json --iso ~/isos/CentOS-7-x86_64-Minimal-2009.iso', 'use a local copy of the ISO')
      .example('$0 --boot kernel < build.json > next.json', 'boot the installer kernel directly, answer file in the initrd')
      .example('$0 --offline --checksum sha256:9a2c…  < build.json', 'build without network from the cache')
      .epilog(
        'Downloads go through http_proxy / https_proxy (CONNECT) unless no_proxy matches. Cache: original media under <cache>/isos ' +
          '([cache] original_media), boot ISOs under <cache>/modified ([cache] modified_media).\n' +
          'Exit codes: 0 ok, 64 usage, 65 bad media or checksum mismatch, 66 media missing, 69 offline cache miss or xorriso missing, 74 I/O, 75 network failure after retries.',
      ),
    tool,
    version,
  );
  const args = await parser.parseAsync();
  if (args.help || args.version) return;
  if (args._.length > 0) throw new OzkitError('USAGE', `unexpected argument: ${args._[0]}`, { hint: 'the build document comes on stdin or with --in FILE' });
  for (const [name, value] of [['retries', args.retries], ['retry-wait', args['retry-wait']], ['idle-timeout', args['idle-timeout']]] as const)
    if (!Number.isFinite(value) || value < 0) throw new OzkitError('USAGE', `--${name} must be a number ≥ 0`, { hint: `see ${tool} --help` });
  const { settings } = loadConfig({
    configFile: args.config,
    flags: { offline: args.offline, cacheDir: args['cache-dir'], workdir: args.workdir },
  });
  await runStage(
    isoFetchStage,
    {
      settings,
      iso: args.iso,
      boot: args.boot as BootMethod | undefined,
      checksum: args.checksum,
      force: args.force,
      cwd: process.cwd(),
      toolVersion: version,
      policy: { retries: Math.floor(args.retries), delayMs: args['retry-wait'] * 1000, idleTimeoutMs: Math.max(1, args['idle-timeout']) * 1000 },
    },
    { ctx, in: args.in, out: args.out },
  );
});
