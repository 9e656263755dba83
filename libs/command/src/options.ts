/**
 * Option descriptions shared by every tool, as plain objects in yargs' option format
 * (libs never import yargs; a tool's cli.ts passes these to `.options()`).
 */
export const commonOptions = {
  config: { alias: 'c', type: 'string', describe: 'config file (ozkit INI; Oz\'s oz.cfg is accepted)', requiresArg: true },
  verbose: { alias: 'v', type: 'count', describe: 'more detail; stack traces on errors' },
  quiet: { alias: 'q', type: 'boolean', describe: 'errors only' },
  'log-format': { type: 'string', choices: ['text', 'json'], default: 'text', describe: 'stderr as text or NDJSON events' },
} as const;

/** For the stages that read and write a build document. */
export const documentOptions = {
  in: { type: 'string', describe: 'read the build document from FILE instead of stdin', requiresArg: true },
  out: { type: 'string', describe: 'write the build document to FILE instead of stdout, atomically and only when the tool succeeds (a failed run writes FILE.failed.json)', requiresArg: true },
} as const;

/** For the stages that run a guest: which hypervisor runs it (libvirt when a URI is given). */
export const hypervisorOptions = {
  connect: { type: 'string', requiresArg: true, describe: 'run guests as libvirt domains at this URI (qemu:///system, qemu+ssh://user@host/system) instead of QEMU directly ([libvirt] uri, $OZKIT_CONNECT)' },
  'virt-type': { type: 'string', requiresArg: true, choices: ['kvm', 'qemu'], describe: 'libvirt domain type ([libvirt] type, $OZKIT_VIRT_TYPE; default kvm where it really works)' },
  pool: { type: 'string', requiresArg: true, describe: 'libvirt storage pool for disks and media on a remote hypervisor ([libvirt] pool, $OZKIT_POOL; default "default")' },
  'bridge-name': { type: 'string', requiresArg: true, describe: 'libvirt only: put the guest on this bridge instead of user-mode networking ([libvirt] bridge_name)' },
} as const;

/** The settings `hypervisorOptions` set, for loadConfig's flags. */
export function hypervisorFlags(args: { connect?: string; 'virt-type'?: string; pool?: string; 'bridge-name'?: string }) {
  return { connect: args.connect, virtType: args['virt-type'], pool: args.pool, bridgeName: args['bridge-name'] };
}

export interface CommonArgs {
  config?: string;
  verbose?: number;
  quiet?: boolean;
  logFormat?: string;
  'log-format'?: string;
}

export interface DocumentArgs {
  in?: string;
  out?: string;
}

/** -q → -1, default 0, -v → 1, -vv → 2. */
export function verbosityOf(args: CommonArgs): number {
  if (args.quiet) return -1;
  return args.verbose ?? 0;
}

/**
 * -q/-v/--log-format read straight from argv, before yargs parses: the logger must exist first so
 * that usage errors are reported in the requested format too.
 */
export function logSettingsFromArgv(argv: readonly string[]): { verbosity: number; logFormat: 'text' | 'json' } {
  const json = argv.some((a, i) => a === '--log-format=json' || (a === '--log-format' && argv[i + 1] === 'json'));
  const quiet = argv.some((a) => a === '-q' || a === '--quiet');
  const verbosity = quiet
    ? -1
    : argv.filter((a) => a === '--verbose' || /^-v+$/.test(a)).reduce((n, a) => n + (a === '--verbose' ? 1 : a.length - 1), 0);
  return { verbosity, logFormat: json ? 'json' : 'text' };
}
