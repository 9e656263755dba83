import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OzkitError } from '@ozkit/errors';
import type { Logger } from '@ozkit/log';
import { chooseInstallEntry, type BootEntry } from './boot-entry.js';
import { grubQuote, unattendedGrubConfig } from './grub-config.js';
import { rewriteIso, type IsoChange } from './iso-image.js';
import { writeQcow2Overlay } from './qcow2-overlay.js';
import { runProgram } from './run-program.js';
import { sessionDelta, writeGrownCopy } from './session-delta.js';
import type { IsoBootLayout } from './iso-boot-layout.js';
import { unattendedSyslinuxConfig } from './syslinux-config.js';

export interface RemasterInput {
  iso: string;
  layout: IsoBootLayout;
  /** Files to put on the ISO (the answer file and its companions). */
  files: IsoChange[];
  /** The kernel arguments for an install entry (entries differ in kernel path, not in arguments). */
  argsFor: (entry: BootEntry) => string[];
  /** Where the new ISO goes (a work file: the caller renames it into place). */
  dest: string;
  /** qcow2: an overlay on `iso` holding only what changed (grow mode; rewritten media are always raw). */
  format: 'qcow2' | 'raw';
  logger: Logger;
  signal?: AbortSignal;
}

export interface RemasterResult {
  /** ISO paths of the boot configs rewritten (`<efi image>::/EFI/BOOT/grub.cfg` for one inside the EFI image). */
  edited: string[];
  /** grow: a session appended to a copy; rewrite: a complete new image (media with appended partitions). */
  mode: 'grow' | 'rewrite';
  /** Per edited config, the kernel command line it now boots. */
  commandLines: Record<string, string>;
  /** What `dest` is: a plain ISO, or a qcow2 overlay backed by `iso`. */
  format: 'qcow2' | 'raw';
  /** sha256 of the file `dest` when it was computed while writing (grow mode), so the caller need not read it back. */
  sha256?: string;
}

/**
 * Makes the installer ISO start unattended with the answer file, without extracting it:
 * edits the BIOS (isolinux) and UEFI (grub, also inside the EFI boot image) configs, adds
 * the answer file, keeps the volume ID and replays both El Torito entries and the hybrid
 * MBR/GPT with xorriso.
 */
export async function remasterIso(input: RemasterInput): Promise<RemasterResult> {
  const { layout } = input;
  const changes: IsoChange[] = [...input.files];
  const edited: string[] = [];
  const commandLines: Record<string, string> = {};
  let n = 0;
  const scratchFile = async (text: string) => {
    const p = join(layout.scratch, `edited-${n++}`);
    await writeFile(p, text, { mode: 0o644 });
    return p;
  };
  if (layout.syslinux) {
    const entry = chooseInstallEntry(layout.syslinux.entries);
    if (entry) {
      const args = input.argsFor(entry);
      changes.push({ local: await scratchFile(unattendedSyslinuxConfig(entry, args, layout.syslinux.top)), isoPath: layout.syslinux.top });
      edited.push(layout.syslinux.top);
      commandLines[layout.syslinux.top] = args.join(' ');
    }
  }
  for (const g of layout.grub) {
    const entry = chooseInstallEntry(g.entries);
    if (!entry) continue;
    const args = input.argsFor(entry);
    const text = unattendedGrubConfig(g.text, entry, args.map(grubQuote));
    const local = await scratchFile(text);
    if (g.espPath) {
      if (!layout.espImage) continue;
      const r = await runProgram('mcopy', ['-o', '-i', layout.espImage, local, g.espPath], { signal: input.signal });
      if (r.exitCode !== 0)
        throw new OzkitError('IO', `cannot update ${g.where} in the EFI boot image: ${String(r.stderr).trim()}`, {
          hint: 'mtools (mcopy) is needed: apt-get install mtools',
        });
    } else {
      changes.push({ local, isoPath: g.where });
    }
    edited.push(g.where);
    commandLines[g.where] = args.join(' ');
  }
  if (layout.espImage && layout.info.efiImage && edited.some((e) => e.startsWith(`${layout.info.efiImage}::`)))
    changes.push({ local: layout.espImage, isoPath: layout.info.efiImage });
  if (edited.length === 0) throw new OzkitError('BAD_MEDIA', `${input.iso}: found no boot config to edit`);

  const volumeId = layout.info.volumeId;
  // Growing writes only the changes; media with partitions appended after the filesystem
  // (Ubuntu 20.04+) would have them overwritten, so those get a complete new image.
  const mode = layout.info.appendedPartitions ? 'rewrite' : 'grow';
  const format = mode === 'grow' ? input.format : 'raw';
  let sha256: string | undefined;
  try {
    const delta = () => sessionDelta(input.iso, layout.info, changes, layout.scratch, input.signal);
    if (mode === 'grow' && format === 'qcow2') {
      // Only the superblock and the new session are written; the rest is read from the original.
      const found = await delta();
      ({ sha256 } = await writeQcow2Overlay({
        backing: input.iso,
        backingBytes: found.baseBytes,
        virtualBytes: found.baseBytes + found.tail.length,
        ranges: [...found.patches, { offset: found.baseBytes, data: found.tail }],
        dest: input.dest,
      }));
    } else if (mode === 'grow') {
      // The session is worked out on a sparse scratch copy while the kernel copies the original; it is laid over the copy, hashed on the way.
      sha256 = await writeGrownCopy(input.iso, input.dest, delta, input.signal);
    } else {
      await rm(input.dest, { force: true });
      await rewriteIso(input.iso, input.dest, volumeId, changes, input.signal);
    }
  } catch (error) {
    await rm(input.dest, { force: true });
    throw error;
  }
  input.logger.debug(`remastered ${input.iso} (${mode}, ${format}): ${edited.join(', ')}`);
  return { edited, mode, format, commandLines, ...(sha256 ? { sha256 } : {}) };
}
