import { defineCli } from '@ozkit/command';
import { commonOptionNames, documentOptionNames, vocabulary, vocabularyOptions } from '@ozkit/config';

/** iso-fetch's command line: --help, the README's option table and the parser come from this. */
export const cli = defineCli({
  tool: 'iso-fetch',
  usage: '$0 [options] < build.json > build.json',
  description:
    'Fetches, verifies and caches the install media named by the TDL, then makes it boot the answer file ' +
    'unattended: a remastered ISO (BIOS and UEFI boot menus edited, answer file added, volume ID and both ' +
    'El Torito entries kept) or the installer kernel with an initrd carrying the answer file. Adds `media`.',
  options: {
    ...vocabularyOptions(commonOptionNames, documentOptionNames),
    iso: { kind: 'string', value: 'ISO', describe: 'use this ISO (path, file://, http(s)://) instead of the TDL install source; both are recorded' },
    boot: {
      kind: 'string',
      value: 'METHOD',
      choices: ['iso', 'kernel'],
      describe: 'boot media to make: a remastered ISO, or kernel+initrd (default: iso for ISO installs, kernel for url installs)',
    },
    'boot-iso-format': {
      ...vocabulary['boot-iso-format'],
      describe:
        'the remastered ISO: qcow2 (default) = an overlay holding only the changes (MiBs), backed by the original in the cache, for guest-install or QEMU/libvirt; raw = a plain ISO file of its own (to copy elsewhere, write to a stick, or attach without its backing file)',
    },
    checksum: { kind: 'string', value: 'SUM', describe: 'verify against sha256:<hex> (or md5:/sha1:/sha512:), a SUMS file URL/path, or "none" (overrides the TDL)' },
    offline: { ...vocabulary.offline, describe: 'use only cached media; fail (exit 69) naming what is missing' },
    force: { kind: 'boolean', short: 'f', describe: 'ignore cached media (original and modified) and fetch again' },
    'cache-dir': { ...vocabulary['cache-dir'], describe: 'cache directory (default $XDG_CACHE_HOME/ozkit, else ~/.cache/ozkit)' },
    workdir: { ...vocabulary.workdir, describe: 'build directory when the document has none' },
    retries: { kind: 'number', value: 'N', default: 5, describe: 'retries of a failed transfer (with exponential backoff; transfers resume)' },
    'retry-wait': { kind: 'number', value: 'SECONDS', default: 2, describe: 'seconds before the first retry (doubling each time)' },
    'idle-timeout': { kind: 'number', value: 'SECONDS', default: 60, describe: 'seconds without data before a transfer counts as failed' },
    'low-speed-limit': {
      kind: 'number',
      value: 'BYTES',
      default: 1024,
      describe: 'bytes/s an http(s) transfer must average over --low-speed-time, else it counts as failed (0: no limit)',
    },
    'low-speed-time': { kind: 'number', value: 'SECONDS', default: 60, describe: 'seconds of the --low-speed-limit window' },
    deadline: { kind: 'number', value: 'SECONDS', default: 0, describe: 'seconds a whole http(s) download may take, retries included (0: no limit; then exit 75)' },
  },
  examples: [
    ['tdl-validate centos7.tdl | ks-render | $0 | guest-install', 'the usual pipeline'],
    ['$0 --in build.json --out build.json --iso ~/isos/CentOS-7-x86_64-Minimal-2009.iso', 'use a local copy of the ISO'],
    ['$0 --boot kernel < build.json > next.json', 'boot the installer kernel directly, answer file in the initrd'],
    ['$0 --offline --checksum sha256:9a2c…  < build.json', 'build without network from the cache'],
  ],
  epilogue:
    'Downloads go through http_proxy / https_proxy (CONNECT) unless no_proxy matches. Cache: original media under <cache>/isos ' +
    '([cache] original_media), boot ISOs under <cache>/modified ([cache] modified_media); a qcow2 boot ISO needs its original to stay there.\n' +
    'Exit codes: 0 ok, 64 usage, 65 bad media or checksum mismatch, 66 media missing, 69 offline cache miss or xorriso missing, 74 I/O, 75 network failure after retries.',
});
