import type { ImageFormat, OutputFormat } from '@ozkit/build-document';

export { OUTPUT_FORMATS } from '@ozkit/build-document';

const MiB = 1024 * 1024;

/** How one output format is written with qemu-img, and what the result must look like. */
export interface Conversion {
  format: OutputFormat;
  /** `-o` options of `qemu-img convert` (or of `qemu-img create` when `precreate`). */
  options: string[];
  /** The variant written, recorded in the document and checked afterwards (vmdk create-type). */
  subformat?: string;
  /** `qemu-img convert -c`. */
  compressFlag: boolean;
  /** The result is compressed (streamOptimized vmdk always is). */
  compressed: boolean;
  /** The target is made with `qemu-img create` at `virtualSize` first and converted into (vpc: the exact size). */
  precreate: boolean;
  /** The size the guest will see. */
  virtualSize: number;
  /** `qemu-img check` knows the format (raw and vpc it does not). */
  checkable: boolean;
  /** Why --compress was not applied, when it was asked for and the format cannot do it. */
  compressionRefused?: string;
}

/** File name extension per format (vpc is a .vhd file). */
export const OUTPUT_EXTENSIONS: Record<OutputFormat, string> = { qcow2: 'qcow2', raw: 'raw', vmdk: 'vmdk', vhdx: 'vhdx', vpc: 'vhd' };

/** Glance's --disk-format name per format. */
export const GLANCE_DISK_FORMATS: Record<OutputFormat, string> = { qcow2: 'qcow2', raw: 'raw', vmdk: 'vmdk', vhdx: 'vhdx', vpc: 'vhd' };

/** The size rounded up to whole MiB (Azure refuses a VHD whose virtual size is not a MiB multiple). */
export function alignToMiB(bytes: number): number {
  return Math.ceil(bytes / MiB) * MiB;
}

/**
 * What `qemu-img convert` needs for each target: vmdk as streamOptimized (what vSphere and OVA
 * import; compressed by design), vhdx dynamic (Hyper-V), vpc fixed with force_size at a
 * MiB-aligned size (Azure: a fixed VHD whose size is exactly what is asked, not rounded to a
 * CHS geometry). --compress applies to qcow2 (and is vmdk's nature); raw, vhdx and vpc cannot.
 */
export function conversionFor(format: OutputFormat, compress: boolean, virtualSize: number): Conversion {
  const refused = (why: string) => (compress ? { compressionRefused: why } : {});
  switch (format) {
    case 'qcow2':
      return { format, options: ['cluster_size=65536'], compressFlag: compress, compressed: compress, precreate: false, virtualSize, checkable: true };
    case 'raw':
      return {
        format,
        options: [],
        compressFlag: false,
        compressed: false,
        precreate: false,
        virtualSize,
        checkable: false,
        ...refused('a raw image cannot be compressed'),
      };
    case 'vmdk':
      return {
        format,
        options: ['subformat=streamOptimized'],
        subformat: 'streamOptimized',
        compressFlag: compress,
        compressed: true,
        precreate: false,
        virtualSize,
        checkable: true,
      };
    case 'vhdx':
      return {
        format,
        options: ['subformat=dynamic'],
        subformat: 'dynamic',
        compressFlag: false,
        compressed: false,
        precreate: false,
        virtualSize,
        checkable: true,
        ...refused('qemu-img cannot compress vhdx'),
      };
    case 'vpc':
      return {
        format,
        options: ['subformat=fixed', 'force_size=on'],
        subformat: 'fixed',
        compressFlag: false,
        compressed: false,
        precreate: true,
        virtualSize: alignToMiB(virtualSize),
        checkable: false,
        ...refused('a fixed VHD cannot be compressed'),
      };
  }
}

/** The `qemu-img` invocations that write `target` from `source`, in order. */
export function conversionCommands(conversion: Conversion, source: { path: string; format: ImageFormat }, target: string): string[][] {
  const o = conversion.options.length ? ['-o', conversion.options.join(',')] : [];
  if (conversion.precreate) {
    // The target's size is set by create; convert writes into it and skips the zeros it already holds.
    return [
      ['create', '-q', '-f', conversion.format, ...o, target, String(conversion.virtualSize)],
      ['convert', '-n', '--target-is-zero', '-f', source.format, '-O', conversion.format, source.path, target],
    ];
  }
  // -W: clusters may land out of order, so qemu-img's coroutines compress on all cores at once
  // (in order they wait for each other's writes: one core). Not for a streamOptimized vmdk, a
  // stream that must be written in order.
  const outOfOrder = conversion.compressFlag && conversion.format === 'qcow2';
  return [
    ['convert', ...(conversion.compressFlag ? ['-c'] : []), ...(outOfOrder ? ['-W'] : []), '-f', source.format, '-O', conversion.format, ...o, source.path, target],
  ];
}

/** What `qemu-img info --output=json` says of an image (the parts that are checked). */
export interface ImageInfo {
  format: string;
  'virtual-size': number;
  'format-specific'?: { type: string; data?: { 'create-type'?: string } };
}

/** Problems of the written image against the plan: format, size, vmdk variant. Empty: good. */
export function conversionProblems(conversion: Conversion, info: ImageInfo, sourceVirtualSize: number): string[] {
  const problems: string[] = [];
  if (info.format !== conversion.format) problems.push(`qemu-img reads it as ${info.format}, not ${conversion.format}`);
  const size = info['virtual-size'];
  if (conversion.precreate ? size !== conversion.virtualSize : size < sourceVirtualSize)
    problems.push(`virtual size ${size} bytes, expected ${conversion.precreate ? conversion.virtualSize : `at least ${sourceVirtualSize}`}`);
  if (conversion.format === 'vpc' && size % MiB !== 0) problems.push(`virtual size ${size} is not a whole number of MiB`);
  const createType = info['format-specific']?.data?.['create-type'];
  if (conversion.format === 'vmdk' && createType !== conversion.subformat)
    problems.push(`vmdk create-type ${createType ?? 'unknown'}, expected ${conversion.subformat}`);
  return problems;
}
