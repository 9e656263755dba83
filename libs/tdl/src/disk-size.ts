/**
 * `<disk><size>` as Oz HEAD reads it: the schema pattern first, then spaces dropped and the
 * text lowercased; leading digits are the number, the rest the unit. No unit, `g` and `t`
 * mean GiB/TiB (Oz's older rules), `b` means bytes, `kb…yb` are powers of 1000 and
 * `kib…yib` powers of 1024. `10M` is refused, as in Oz.
 */

const SCHEMA_PATTERN = /^([0-9]*) *([kKmMgGtTpPeEzZyY]?[iI]?[bB]?)$/;

const UNITS: ReadonlyMap<string, bigint> = (() => {
  const units = new Map<string, bigint>([
    ['b', 1n],
    ['g', 1n << 30n],
    ['t', 1n << 40n],
  ]);
  ['k', 'm', 'g', 't', 'p', 'e', 'z', 'y'].forEach((prefix, index) => {
    const i = BigInt(index + 1);
    units.set(`${prefix}b`, 10n ** (3n * i));
    units.set(`${prefix}ib`, 1n << (10n * i));
  });
  return units;
})();

/** The largest image QEMU can create (qemu-img refuses 8 EiB and more). */
export const MAX_QEMU_DISK_BYTES = (1n << 63n) - 1n;

/** The default when a TDL has no `<disk>`: 10 GiB (Oz HEAD would ask for 10 bytes). */
export const DEFAULT_DISK_BYTES = 10 * 1024 ** 3;

export type DiskSizeResult = { ok: true; bytes: bigint } | { ok: false; message: string };

const EXPECTED = 'a whole number with an optional unit: B, KB…YB, KiB…YiB, or G/T (GiB/TiB); no unit means GiB — e.g. 20G, 16GiB, 500GB';

export function parseDiskSize(text: string): DiskSizeResult {
  if (!SCHEMA_PATTERN.test(text)) {
    const hint = text.trim() !== text ? ' (no spaces or line breaks around the value)' : '';
    return { ok: false, message: `disk size "${text.length > 40 ? text.slice(0, 40) + '…' : text}" is not ${EXPECTED}${hint}` };
  }
  const compact = text.replace(/ /g, '').toLowerCase();
  const digits = /^[0-9]*/.exec(compact)?.[0] ?? '';
  const unit = compact.slice(digits.length) || 'gib';
  if (digits === '') return { ok: false, message: `disk size "${text}" has no number: it must be ${EXPECTED}` };
  const factor = UNITS.get(unit);
  if (factor === undefined) return { ok: false, message: `disk size "${text}": unit "${text.replace(/^[0-9]* */, '')}" is not accepted; it must be ${EXPECTED}` };
  const bytes = BigInt(digits) * factor;
  if (bytes === 0n) return { ok: false, message: `disk size "${text}" is zero bytes` };
  return { ok: true, bytes };
}
