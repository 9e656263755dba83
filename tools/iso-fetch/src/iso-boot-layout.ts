import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { OzkitError } from '@ozkit/errors';
import { chooseInstallEntry, type BootEntry } from './boot-entry.js';
import { readGrubEntries } from './grub-config.js';
import { extractFiles, inspectIso, type IsoInfo } from './iso-image.js';
import { runProgram } from './run-program.js';
import { readSyslinuxEntries } from './syslinux-config.js';

/** Where grub.cfg files live on installer media (Red Hat, Debian/Ubuntu, Fedora 39+ BIOS grub2). */
const GRUB_CONFIGS = ['/EFI/BOOT/grub.cfg', '/boot/grub/grub.cfg', '/boot/grub2/grub.cfg'];
/** The grub.cfg inside an EFI El Torito image (Red Hat media boot it from there). */
const ESP_GRUB_CONFIGS = ['::/EFI/BOOT/grub.cfg', '::/EFI/BOOT/BOOT.conf'];

export interface GrubConfigFile {
  /** ISO path, or `<efi image>::/EFI/BOOT/grub.cfg` for one inside the EFI image. */
  where: string;
  text: string;
  entries: BootEntry[];
  /** For one inside the EFI image: the mtools path. */
  espPath?: string;
}

/** The boot setup of an installer ISO, read without extracting the image. */
export interface IsoBootLayout {
  info: IsoInfo;
  /** Top isolinux/syslinux config, with the text of every config file it may include. */
  syslinux?: { top: string; texts: Map<string, string>; entries: BootEntry[] };
  grub: GrubConfigFile[];
  /** The install entry chosen (from isolinux if present, else from grub). */
  entry: BootEntry;
  /** Working copies live here (extracted configs, the EFI image); remove with `dispose()`. */
  scratch: string;
  /** Local copy of the EFI image when it carries a grub.cfg with the installer's entries. */
  espImage?: string;
  dispose(): Promise<void>;
}

/** `scratchParent`: where the scratch folder goes (the build's media folder, so a SIGKILL leaves nothing in the temp folder). */
export async function readIsoBootLayout(iso: string, signal?: AbortSignal, scratchParent = tmpdir()): Promise<IsoBootLayout> {
  const info = await inspectIso(iso, signal);
  const scratch = await mkdtemp(join(scratchParent, '.ozkit-iso-'));
  const dispose = () => rm(scratch, { recursive: true, force: true });
  try {
    // isolinux looks for isolinux.cfg next to isolinux.bin first.
    const biosDir = info.biosImage ? posix.dirname(info.biosImage) : undefined;
    const syslinuxTop = [
      biosDir && `${biosDir}/isolinux.cfg`,
      biosDir && `${biosDir}/syslinux.cfg`,
      '/isolinux/isolinux.cfg',
      '/boot/isolinux/isolinux.cfg',
      '/syslinux/syslinux.cfg',
    ]
      .filter((p): p is string => Boolean(p))
      .find((p) => info.files.has(p));
    const wanted: string[] = [];
    if (syslinuxTop) {
      const dir = posix.dirname(syslinuxTop);
      for (const f of info.files) if (posix.dirname(f) === dir && /\.(cfg|conf)$/i.test(f)) wanted.push(f);
    }
    for (const g of GRUB_CONFIGS) if (info.files.has(g)) wanted.push(g);
    const locals = wanted.map((isoPath, i) => ({ isoPath, local: join(scratch, `cfg-${i}`) }));
    const espLocal = info.efiImage && info.files.has(info.efiImage) ? join(scratch, 'efi.img') : undefined;
    if (espLocal) locals.push({ isoPath: info.efiImage!, local: espLocal });
    await extractFiles(iso, locals, signal);
    const texts = new Map<string, string>();
    for (const l of locals) if (l.local !== espLocal) texts.set(l.isoPath, await readFile(l.local, 'latin1'));

    const syslinux = syslinuxTop ? { top: syslinuxTop, texts, entries: readSyslinuxEntries(syslinuxTop, (p) => texts.get(p)) } : undefined;
    const grub: GrubConfigFile[] = [];
    for (const g of GRUB_CONFIGS) {
      const text = texts.get(g);
      if (text !== undefined) grub.push({ where: g, text, entries: readGrubEntries(text) });
    }
    let espImage: string | undefined;
    if (espLocal) {
      for (const espPath of ESP_GRUB_CONFIGS) {
        const r = await runProgram('mtype', ['-i', espLocal, espPath], { encoding: 'latin1', signal });
        if (r.exitCode !== 0) continue;
        const entries = readGrubEntries(String(r.stdout));
        // Debian/Ubuntu ESPs hold a stub that loads the ISO's grub.cfg: nothing to edit there.
        if (entries.length) {
          grub.push({ where: `${info.efiImage}${espPath}`, text: String(r.stdout), entries, espPath });
          espImage = espLocal;
        }
      }
    }
    const entry = chooseInstallEntry(syslinux?.entries ?? []) ?? chooseInstallEntry(grub.flatMap((g) => g.entries));
    if (!entry)
      throw new OzkitError(
        'BAD_MEDIA',
        `${iso}: no installer boot entry found (looked at ${[syslinuxTop, ...GRUB_CONFIGS.filter((g) => texts.has(g))].filter(Boolean).join(', ') || 'no isolinux or grub config at all'})`,
        {
          hint: 'this does not look like installer media with an isolinux or grub boot menu (live CDs and netboot-only images are not supported)',
        },
      );
    if (!info.files.has(entry.kernel))
      throw new OzkitError('BAD_MEDIA', `${iso}: the install entry "${entry.label}" boots ${entry.kernel}, which is not on the ISO`);
    return { info, syslinux, grub, entry, scratch, espImage, dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}

/** The LABEL=… text the media itself uses (e.g. `CentOS\x207\x20x86_64`), to write ours the same way. */
export function labelTextOf(entry: BootEntry): string | undefined {
  for (const a of entry.args) {
    const m = /^(?:inst\.)?stage2=hd:LABEL=(.+)$/.exec(a) ?? /^root=live:CDLABEL=(.+)$/.exec(a);
    if (m) return m[1];
  }
  return undefined;
}
