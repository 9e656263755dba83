import { OzkitError, OzkitErrorList } from '@ozkit/errors';
import type { Inventory } from '@ozkit/build-document';

const HINT = 'the inventory comes from guest-customize; rerun it, or collect one with --live';

/** Checks the shape of customize.inventory so a bad document fails with a path, not a crash. */
export function checkInventory(value: unknown, where = 'customize.inventory'): Inventory {
  const problems: OzkitError[] = [];
  const bad = (path: string, message: string) => problems.push(new OzkitError('BAD_DOCUMENT', `${path}: ${message}`, { hint: HINT }));
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new OzkitError('BAD_DOCUMENT', `${where}: must be an object`, { hint: HINT });
  }
  const inv = value as Record<string, unknown>;
  if (inv.format !== 'rpm' && inv.format !== 'deb') bad(`${where}.format`, `must be "rpm" or "deb", not ${JSON.stringify(inv.format)}`);
  if (!Array.isArray(inv.packages)) {
    bad(`${where}.packages`, 'must be an array');
  } else {
    inv.packages.forEach((p, i) => {
      const at = `${where}.packages[${i}]`;
      if (typeof p !== 'object' || p === null) return bad(at, 'must be an object');
      const pkg = p as Record<string, unknown>;
      if (typeof pkg.name !== 'string' || pkg.name === '') bad(`${at}.name`, 'must be a non-empty string');
      if (typeof pkg.version !== 'string') bad(`${at}.version`, 'must be a string');
      if (typeof pkg.arch !== 'string') bad(`${at}.arch`, 'must be a string');
      for (const key of ['epoch', 'release'] as const) {
        if (pkg[key] !== undefined && typeof pkg[key] !== 'string') bad(`${at}.${key}`, 'must be a string when present');
      }
    });
    if (inv.extra !== undefined) {
      if (!Array.isArray(inv.extra) || inv.extra.some((l) => typeof l !== 'string')) bad(`${where}.extra`, 'must be an array of strings');
      else if (inv.extra.length !== inv.packages.length)
        bad(`${where}.extra`, `has ${inv.extra.length} line(s) for ${inv.packages.length} package(s); extra_command must print one line per package`);
    }
  }
  if (problems.length === 1) throw problems[0];
  if (problems.length > 1) throw new OzkitErrorList(problems.slice(0, 20));
  return value as Inventory;
}
