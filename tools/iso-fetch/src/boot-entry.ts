/** One way the installer can be booted, as a boot loader config describes it. */
export interface BootEntry {
  /** syslinux label or grub menuentry title. */
  label: string;
  menuLabel?: string;
  /** Absolute ISO path (or, for url installs, URL) of the kernel. */
  kernel: string;
  /** Absolute ISO paths of the initrds (usually one). */
  initrds: string[];
  /** Kernel arguments as written (initrd= removed), tokens verbatim. */
  args: string[];
  /** Nesting: 0 for a top-level entry, more inside menus/submenus. */
  depth: number;
  /** grub: `linux`/`linuxefi`/`linux16`; syslinux: `kernel`/`linux`. */
  kernelCommand?: string;
  initrdCommand?: string;
  isDefault?: boolean;
}

const AVOID =
  /check|test this|rescue|expert|graphical|gtk|hwe|maas|vesa|basic graphics|troubleshoot|speech|access|dark|memory|memtest|multipath|cloud|safe|failsafe|boot from|local|firmware|next volume|text help/i;

/**
 * The entry that installs with the installer's plain defaults: "Install", not "Test this
 * media & install" (rd.live.check reads the whole disc), not rescue/expert/graphical/HWE.
 */
export function chooseInstallEntry(entries: BootEntry[]): BootEntry | undefined {
  let best: { entry: BootEntry; score: number } | undefined;
  entries.forEach((entry, index) => {
    if (!entry.kernel || /memtest|mt86|hdt|chain\.c32|ipxe|\.c32$|\.efi$/i.test(entry.kernel)) return;
    const text = `${entry.label} ${entry.menuLabel ?? ''}`;
    let score = 0;
    if (/install|^linux$|^live$/i.test(entry.label) || /install/i.test(text)) score += 10;
    if (/^\^?install$|^linux$/i.test(entry.label.trim())) score += 5;
    if (AVOID.test(text)) score -= 8;
    if (entry.args.some((a) => a === 'rd.live.check' || a === 'rescue' || a === 'inst.rescue' || /^priority=low$/.test(a))) score -= 6;
    if (entry.args.some((a) => /^MENU=/.test(a) || /^modules=maas/.test(a))) score -= 10;
    if (entry.initrds.some((i) => /\/gtk\/|hwe-/.test(i)) || /hwe-/.test(entry.kernel)) score -= 5;
    if (entry.isDefault) score += 1;
    score -= entry.depth * 3;
    score -= index * 0.01;
    if (!best || score > best.score) best = { entry, score };
  });
  return best?.entry;
}

/** `dir` + `path` as an absolute ISO path (syslinux paths are relative to the config's directory). */
export function isoPathFrom(dir: string, path: string): string {
  if (path.startsWith('/')) return normalize(path);
  return normalize(`${dir}/${path}`);
}

function normalize(p: string): string {
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return '/' + out.join('/');
}
