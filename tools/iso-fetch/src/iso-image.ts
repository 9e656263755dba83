import { open, chmod } from 'node:fs/promises';
import { OzkitError } from '@ozkit/errors';
import { runProgram, type ProgramResult } from './run-program.js';

/** What the El Torito catalog and the PVD of an ISO say, plus its file list. */
export interface IsoInfo {
  volumeId: string;
  /** Absolute ISO paths of regular files. */
  files: Set<string>;
  /** BIOS boot image path (isolinux.bin, eltorito.img), if any. */
  biosImage?: string;
  /** EFI boot image path when it is a file in the tree (images/efiboot.img, boot/grub/efi.img). */
  efiImage?: string;
  /** The EFI image is not a file in the tree (e.g. Ubuntu's appended GPT partition). */
  efiHidden: boolean;
  /** Partitions appended after the ISO filesystem (their data lives outside the tree). */
  appendedPartitions: boolean;
  /** `xorriso -report_el_torito as_mkisofs`: how to recreate the boot setup. */
  bootRecipe: string[];
  /** Where regular files' data lies (xorriso's report_lba), read in the same run. */
  extents: FileExtent[];
  /**
   * Boot images whose bytes xorriso reads when it replays the boot setup: those it patches
   * (`-boot-info-table`, `--grub2-boot-info`), and the BIOS image in any case. The others (an
   * EFI image, as a rule) are only pointed at by the catalog and the partition tables.
   */
  readBootImages: string[];
}

/** One extent of a regular file's data (files over 4 GiB have several). */
export interface FileExtent {
  path: string;
  lba: number;
  blocks: number;
}

function xorriso(args: string[], signal?: AbortSignal): Promise<ProgramResult> {
  return runProgram('xorriso', ['-no_rc', ...args], { signal });
}

function failure(what: string, result: ProgramResult, signal?: AbortSignal): never {
  if (signal?.aborted) throw signal.reason;
  if (result.code === 'ENOENT')
    throw new OzkitError('PROGRAM_MISSING', 'xorriso is needed to read and remaster ISO images but was not found', { hint: 'apt-get install xorriso' });
  const lines = String(result.stderr ?? '')
    .split('\n')
    .filter((l) => /FAILURE|SORRY|FATAL|ABORT/.test(l))
    .slice(-3)
    .join('; ');
  throw new OzkitError('IO', `${what}: xorriso failed (exit ${result.exitCode ?? '?'})${lines ? `: ${lines}` : ''}`);
}

/** Refuses what is not an ISO 9660 image (checks the "CD001" volume descriptor magic). */
export async function assertIsIso(path: string): Promise<void> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (error) {
    throw new OzkitError('INPUT_MISSING', `${path}: cannot read ISO: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    const buf = Buffer.alloc(5);
    await fh.read(buf, 0, 5, 16 * 2048 + 1);
    if (buf.toString('latin1') !== 'CD001')
      throw new OzkitError('BAD_MEDIA', `${path}: not an ISO 9660 image`, { hint: 'check the TDL <iso> (or --iso): it must name an installer ISO' });
  } finally {
    await fh.close();
  }
}

function unquote(s: string): string {
  // xorriso quotes as '...' with embedded quotes written as '"'"'.
  return s.replace(/^'|'$/g, '').replace(/'"'"'/g, "'");
}

export async function inspectIso(path: string, signal?: AbortSignal): Promise<IsoInfo> {
  await assertIsIso(path);
  // One run for everything: each xorriso start loads the image tree again.
  const r = await xorriso(
    ['-indev', path, '-report_el_torito', 'as_mkisofs', '-pvd_info', '-find', '/', '-type', 'f', '--', '-find', '/', '-type', 'f', '-exec', 'report_lba', '--'],
    signal,
  );
  if (r.failed) failure(path, r, signal);
  const out = String(r.stdout).split('\n');
  const info: IsoInfo = {
    volumeId: '',
    files: new Set(),
    efiHidden: false,
    appendedPartitions: false,
    bootRecipe: [],
    extents: parseExtents(out),
    readBootImages: [],
  };
  let inRecipe = true;
  for (const line of out) {
    if (line.startsWith('Drive current:')) inRecipe = false;
    if (inRecipe && line.startsWith('-')) info.bootRecipe.push(line);
    const vol = /^Volume Id\s*:\s?(.*)$/.exec(line);
    if (vol) info.volumeId = vol[1].replace(/\s+$/, '');
    if (/^'\/.*'$/.test(line)) info.files.add(unquote(line));
  }
  // Boot options come in order: -b for BIOS; -e after -eltorito-alt-boot for EFI; each entry's options follow its image.
  const read = new Set<string>();
  let entryImage: string | undefined;
  for (const line of info.bootRecipe) {
    const b = /^-b (.+)$/.exec(line);
    if (b && !info.biosImage) info.biosImage = unquote(b[1]);
    const e = /^-e (.+)$/.exec(line);
    if (e) {
      const target = unquote(e[1]);
      if (target.startsWith('--interval:')) info.efiHidden = true;
      else info.efiImage ??= target;
    }
    if (b || e) entryImage = unquote((b ?? e)![1]);
    if (line === '-eltorito-alt-boot') entryImage = undefined;
    if ((line === '-boot-info-table' || line === '--grub2-boot-info') && entryImage && !entryImage.startsWith('--interval:')) read.add(entryImage);
    if (/^-append_partition /.test(line)) info.appendedPartitions = true;
  }
  if (info.biosImage) read.add(info.biosImage);
  info.readBootImages = [...read];
  return info;
}

/** Where regular files' data lies, from `-exec report_lba` lines (one entry per extent; files over 4 GiB have several). */
function parseExtents(lines: string[]): FileExtent[] {
  const extents: FileExtent[] = [];
  for (const line of lines) {
    const m = /^File data lba:\s*\d+\s*,\s*(\d+)\s*,\s*(\d+)\s*,\s*\d+\s*,\s*('.*')$/.exec(line);
    if (m) extents.push({ lba: Number(m[1]), blocks: Number(m[2]), path: unquote(m[3]) });
  }
  return extents;
}

/** Copies single files out of an ISO (no mount, no full extraction); results are writable by us. */
export async function extractFiles(iso: string, pairs: { isoPath: string; local: string }[], signal?: AbortSignal): Promise<void> {
  if (pairs.length === 0) return;
  const args = ['-osirrox', 'on', '-indev', iso];
  for (const p of pairs) args.push('-extract', p.isoPath, p.local);
  const r = await xorriso(args, signal);
  if (r.failed) failure(`${iso}: extracting ${pairs.map((p) => p.isoPath).join(', ')}`, r, signal);
  for (const p of pairs) await chmod(p.local, 0o644);
}

export interface IsoChange {
  /** File on the local filesystem. */
  local: string;
  /** Where it goes in the ISO (added, or replacing what is there). */
  isoPath: string;
}

/**
 * With SOURCE_DATE_EPOCH set (the reproducible-builds convention; xorriso 1.5.4 reads it only
 * in its mkisofs emulation), the new session's timestamps, volume UUID and GPT GUIDs come
 * from it, so the same inputs give the same bytes.
 */
function reproducibleDates(): { before: string[]; boot: string[] } {
  const epoch = process.env.SOURCE_DATE_EPOCH;
  if (!epoch || !/^\d+$/.test(epoch)) return { before: [], boot: [] };
  const uuid = new Date(Number(epoch) * 1000).toISOString().replace(/\D/g, '').slice(0, 14) + '00';
  return {
    before: [
      '-iso_nowtime',
      `=${epoch}`,
      '-volume_date',
      'all_file_dates',
      `=${epoch}`,
      '-volume_date',
      'c',
      `=${epoch}`,
      '-volume_date',
      'm',
      `=${epoch}`,
      '-volume_date',
      'uuid',
      uuid,
    ],
    boot: ['-boot_image', 'any', 'gpt_disk_guid=volume_date_uuid'],
  };
}

/**
 * Writes the changes as a new session appended to `target` (an existing copy of the ISO):
 * only the changed files, a new directory tree and the replayed boot setup are written,
 * the rest of the image is reused in place ("growing" in xorriso's terms).
 */
export async function appendSession(target: string, volumeId: string, changes: IsoChange[], signal?: AbortSignal): Promise<void> {
  const dates = reproducibleDates();
  // No fsync of the output (xorriso's default forces two, ~60 ms on a busy disk): the grown scratch copy is read back at once and deleted.
  const args = [...dates.before, '-stdio_sync', 'off', '-dev', target, '-volid', volumeId, '-boot_image', 'any', 'replay', ...dates.boot];
  for (const c of changes) args.push('-map', c.local, c.isoPath);
  // -end, not -commit: -commit loads the grown image again afterwards, which nothing here reads.
  args.push('-end');
  const r = await xorriso(args, signal);
  if (r.failed) failure(`${target}: appending a session`, r, signal);
}

/**
 * Writes a complete new ISO from `source` plus the changes (xorriso reads the unchanged files
 * straight from the source image: nothing is extracted). Used when the image has partitions
 * appended after the filesystem, which a grown session would overwrite.
 */
export async function rewriteIso(source: string, dest: string, volumeId: string, changes: IsoChange[], signal?: AbortSignal): Promise<void> {
  const dates = reproducibleDates();
  // As for every file this tool writes: no fsync (the cache renames objects into place, readers see whole files).
  const args = [...dates.before, '-stdio_sync', 'off', '-indev', source, '-outdev', dest, '-volid', volumeId, '-boot_image', 'any', 'replay', ...dates.boot];
  for (const c of changes) args.push('-map', c.local, c.isoPath);
  args.push('-end');
  const r = await xorriso(args, signal);
  if (r.failed) failure(`${dest}: writing the modified ISO`, r, signal);
}

/** `xorriso -report_el_torito plain` lines (for logs and tests). */
export async function reportElTorito(iso: string, signal?: AbortSignal): Promise<string[]> {
  const r = await xorriso(['-indev', iso, '-report_el_torito', 'plain'], signal);
  if (r.failed) failure(iso, r, signal);
  return String(r.stdout)
    .split('\n')
    .filter((l) => l.startsWith('El Torito'));
}
