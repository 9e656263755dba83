import { posix } from 'node:path';
import { OzkitError } from '@ozkit/errors';
import type { AnswerFormat, OsFamily } from '@ozkit/build-document';

/** How the installer will be started, which decides where it finds the answer file. */
export type BootMode = 'iso' | 'kernel' | 'tree';

export interface LocatorContext {
  family: OsFamily;
  format: AnswerFormat;
  osName: string;
  osVersion: string;
  mode: BootMode;
  /** ISO volume ID (iso/kernel modes). */
  volumeId?: string;
  /** The LABEL= text the media's own entries use (already escaped as the media escapes it). */
  labelText?: string;
  /** Where the answer file is on the ISO, e.g. /ks.cfg, /preseed/ozkit.seed, /nocloud/user-data. */
  onIso: string;
  /** Where it is in the initrd, e.g. /ks.cfg, /preseed.cfg. */
  inInitrd: string;
  /** The install tree (url installs). */
  treeUrl?: string;
}

/** The major release a TDL names: `RHEL-7` + `9` → 7; `Fedora` + `38` → 38; `Debian` + `12` → 12. */
export function majorRelease(osName: string, osVersion: string): number | undefined {
  const fromName = /-(\d+)$/.exec(osName);
  if (fromName) return Number(fromName[1]);
  const fromVersion = /^(\d+)/.exec(osVersion);
  return fromVersion ? Number(fromVersion[1]) : osVersion.toLowerCase() === 'rawhide' ? 99 : undefined;
}

/** Anaconda with `inst.` boot options: Fedora 19+, RHEL/CentOS and rebuilds 7+. */
export function usesInstPrefix(osName: string, osVersion: string): boolean {
  const major = majorRelease(osName, osVersion);
  if (major === undefined) return true;
  return /fedora/i.test(osName) ? major >= 19 : major >= 7;
}

/** LABEL= form of a volume ID: anaconda/dracut want spaces as \x20. */
export function escapeLabel(volumeId: string): string {
  return volumeId.replace(/\\/g, '\\x5c').replace(/ /g, '\\x20');
}

/** The kernel arguments that make the installer find and use the answer file. */
export function locatorArgs(ctx: LocatorContext): string[] {
  const label = ctx.labelText ?? (ctx.volumeId !== undefined ? escapeLabel(ctx.volumeId) : undefined);
  switch (ctx.format) {
    case 'kickstart': {
      const modern = usesInstPrefix(ctx.osName, ctx.osVersion);
      const p = modern ? 'inst.' : '';
      if (ctx.mode === 'iso') return modern ? [`inst.ks=hd:LABEL=${label}:${ctx.onIso}`] : [`ks=cdrom:${ctx.onIso}`];
      if (ctx.mode === 'kernel') return modern ? [`inst.ks=file:${ctx.inInitrd}`, `inst.stage2=hd:LABEL=${label}`] : [`ks=file:${ctx.inInitrd}`, 'repo=cdrom'];
      const major = majorRelease(ctx.osName, ctx.osVersion) ?? 99;
      const repo = modern || major >= 6 ? `${p}repo=${ctx.treeUrl}` : `method=${ctx.treeUrl}`;
      return [`${p}ks=file:${ctx.inInitrd}`, repo];
    }
    case 'preseed':
      if (ctx.mode === 'iso') return [`file=/cdrom${ctx.onIso}`];
      // d-i reads /preseed.cfg from the initrd by itself; anything else must be named.
      return ctx.inInitrd === '/preseed.cfg' ? [] : [`preseed/file=${ctx.inInitrd}`];
    case 'autoinstall': {
      if (ctx.mode === 'tree')
        throw new OzkitError('BAD_DOCUMENT', 'Ubuntu autoinstall (subiquity) needs the live-server ISO; url installs are for d-i', {
          hint: 'use an <install type="iso"> for Ubuntu 20.04 and later',
        });
      const dir = posix.dirname(ctx.onIso).replace(/\/?$/, '/');
      return ['autoinstall', `ds=nocloud;s=/cdrom${dir}`];
    }
    case 'autoyast':
      if (ctx.mode === 'iso') return [`autoyast=cd:${ctx.onIso}`];
      if (ctx.mode === 'kernel') return [`autoyast=file://${ctx.inInitrd}`];
      return [`autoyast=file://${ctx.inInitrd}`, `install=${ctx.treeUrl}`];
  }
}

/** Arguments removed from the media's own entry: ours replace them, or they slow/hide the install. */
const DROP = [
  /^quiet$/,
  /^splash$/,
  /^rhgb$/,
  /^rd\.live\.check$/,
  /^(inst\.)?ks=/,
  /^(inst\.)?kickstart=/,
  /^file=/,
  /^preseed\/(file|url)=/,
  /^url=/,
  /^auto=/,
  /^auto-install\/enable=/,
  /^autoinstall$/,
  /^ds=/,
  /^'ds=/,
  /^autoyast=/,
];

function keyOf(arg: string): string {
  const i = arg.indexOf('=');
  return i < 0 ? arg : arg.slice(0, i);
}

/**
 * The final command line: the media's arguments (cleaned), then ours in order — locator,
 * the answer's own arguments, a serial console unless one is given, the TDL kernelparam —
 * all before d-i's `---` (what follows it is copied to the installed system). A later
 * `key=value` replaces an earlier one with the same key (console= may repeat).
 */
export function composeArgs(base: string[], locator: string[], answerArgs: string[], kernelparam: string | undefined): string[] {
  const extra = kernelparam ? kernelparam.trim().split(/\s+/).filter(Boolean) : [];
  const ours = [...locator, ...answerArgs];
  if (![...ours, ...extra, ...base].some((a) => a.startsWith('console='))) ours.push('console=tty0', 'console=ttyS0,115200n8');
  ours.push(...extra);
  const sep = base.indexOf('---');
  const before = (sep < 0 ? base : base.slice(0, sep)).filter((a) => !DROP.some((re) => re.test(a)));
  const after = sep < 0 ? [] : base.slice(sep);
  // An argument of ours with the key of one of the media's takes its place (keeps the order readable).
  const ourValue = new Map<string, string>();
  for (const a of ours) if (a.includes('=') && !a.startsWith('console=')) ourValue.set(keyOf(a), a);
  const placed = new Set<string>();
  const kept = before.map((a) => {
    const k = a.includes('=') ? keyOf(a) : undefined;
    if (k === undefined || !ourValue.has(k)) return a;
    placed.add(ourValue.get(k)!);
    return ourValue.get(k)!;
  });
  const seen = new Set<string>();
  const merged: string[] = [];
  for (const a of [...kept, ...ours.filter((o) => !placed.has(o))]) {
    if (seen.has(a)) continue;
    seen.add(a);
    merged.push(a);
  }
  return after.length ? [...merged, ...after] : merged;
}
