import { posix } from 'node:path';
import { isoPathFrom, type BootEntry } from './boot-entry.js';

/**
 * Reads the menu entries of an isolinux/syslinux configuration, following `include` and
 * `menu include`. Paths inside are relative to the directory of isolinux.bin (= `baseDir`).
 */
export function readSyslinuxEntries(topPath: string, readText: (isoPath: string) => string | undefined): BootEntry[] {
  const baseDir = posix.dirname(topPath);
  const entries: BootEntry[] = [];
  let globalDefault: string | undefined;
  const visited = new Set<string>();
  const visit = (path: string, depth: number) => {
    if (visited.has(path)) return;
    visited.add(path);
    const text = readText(path);
    if (text === undefined) return;
    let current: BootEntry | undefined;
    let menuDepth = depth;
    let inText = false;
    for (const raw of text.split(/\r?\n/)) {
      const line = raw.trim();
      if (inText) {
        if (/^endtext$/i.test(line)) inText = false;
        continue;
      }
      if (line === '' || line.startsWith('#')) continue;
      const [word, ...rest] = line.split(/\s+/);
      const keyword = word.toLowerCase();
      const value = rest.join(' ');
      if (keyword === 'text' && /^help$/i.test(value)) {
        inText = true;
        continue;
      }
      if (keyword === 'include') {
        visit(isoPathFrom(baseDir, rest[0] ?? ''), menuDepth);
        continue;
      }
      if (keyword === 'menu') {
        const sub = (rest[0] ?? '').toLowerCase();
        if (sub === 'include') visit(isoPathFrom(baseDir, rest[1] ?? ''), menuDepth);
        else if (sub === 'begin') menuDepth++;
        else if (sub === 'end') menuDepth = Math.max(depth, menuDepth - 1);
        else if (sub === 'label' && current) current.menuLabel = rest.slice(1).join(' ').replace(/\^/g, '');
        else if (sub === 'default' && current) current.isDefault = true;
        continue;
      }
      if (keyword === 'default') {
        globalDefault ??= value;
        continue;
      }
      if (keyword === 'label') {
        current = { label: value, kernel: '', initrds: [], args: [], depth: menuDepth };
        entries.push(current);
        continue;
      }
      if (!current) continue;
      if (keyword === 'kernel' || keyword === 'linux') {
        current.kernel = isoPathFrom(baseDir, rest[0] ?? '');
        current.kernelCommand = keyword;
        // `kernel vmlinuz args…` is allowed too.
        current.args.push(...rest.slice(1));
      } else if (keyword === 'initrd') {
        current.initrds.push(
          ...value
            .split(',')
            .filter(Boolean)
            .map((p) => isoPathFrom(baseDir, p)),
        );
      } else if (keyword === 'append') {
        for (const token of rest) {
          const m = /^initrd=(.*)$/.exec(token);
          if (m)
            current.initrds.push(
              ...m[1]
                .split(',')
                .filter(Boolean)
                .map((p) => isoPathFrom(baseDir, p)),
            );
          else current.args.push(token);
        }
      }
    }
  };
  visit(topPath, 0);
  if (globalDefault) for (const e of entries) if (e.label === globalDefault) e.isDefault = true;
  return entries.filter((e) => e.kernel !== '');
}

/**
 * A replacement isolinux.cfg that boots one entry at once (as Oz does): no menu, no UI
 * module, no prompt, a tenth of a second timeout, and the loader's own output mirrored
 * to the serial console for the install log.
 */
export function unattendedSyslinuxConfig(entry: { kernel: string; initrds: string[] }, args: string[], original: string): string {
  const initrd = entry.initrds.length ? `initrd=${entry.initrds.join(',')} ` : '';
  return [
    'serial 0 115200',
    `# ozkit: unattended install; the original menu started at "${original}" and was replaced`,
    'default ozkit',
    'prompt 0',
    'timeout 1',
    'label ozkit',
    `  kernel ${entry.kernel}`,
    `  append ${initrd}${args.join(' ')}`,
    '',
  ].join('\n');
}
