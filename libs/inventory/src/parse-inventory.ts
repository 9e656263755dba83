import { OzkitError, OzkitErrorList } from '@ozkit/errors';
import type { InventoryPackage } from '@ozkit/build-document';
import type { InventoryFormat } from './query-commands.js';

/**
 * A package as the inventory records it. The deb-only extras keep what Oz's ICICLE needs
 * (`qualifiedName`, the name `dpkg --get-selections` prints) and what an SBOM needs
 * (`status`, so removed packages with leftover config files are not listed as installed).
 */
export interface ParsedPackage extends InventoryPackage {
  /** deb: `${binary:Package}`, e.g. `libc6:amd64`; absent when equal to `name`. */
  qualifiedName?: string;
  /** deb: dpkg's status abbreviation without trailing blanks, e.g. `ii`, `rc`, `hi`. */
  status?: string;
}

/** Where in the command output a line came from, for error messages. */
export interface ParseSource {
  /** Shown as the file part of `FILE:LINE: message` (e.g. `rpm -qa output`). */
  name?: string;
}

function lines(stdout: string): string[] {
  const all = stdout.split('\n');
  if (all.length > 0 && all[all.length - 1] === '') all.pop();
  return all;
}

function problem(source: string, line: number, message: string): OzkitError {
  return new OzkitError('BAD_DOCUMENT', message, {
    location: { file: source, line },
    hint: 'the package query printed something unexpected; rerun it by hand on the guest to see why',
  });
}

function located(e: OzkitError): OzkitError {
  const loc = e.location;
  const where = loc ? `${loc.file}${loc.line !== undefined ? `:${loc.line}` : ''}: ` : '';
  return new OzkitError(e.code, where + e.message, { hint: e.hint, location: loc });
}

function throwAll(errors: OzkitError[]): void {
  if (errors.length === 1) throw located(errors[0]);
  if (errors.length > 1) throw new OzkitErrorList(errors.map(located));
}

const NONE = '(none)';

/** Parses the output of RPM_INVENTORY_COMMAND; keeps the rpm database order. */
export function parseRpmInventory(stdout: string, source: ParseSource = {}): ParsedPackage[] {
  const name = source.name ?? 'rpm -qa output';
  const packages: ParsedPackage[] = [];
  const errors: OzkitError[] = [];
  lines(stdout).forEach((text, index) => {
    if (text.trim() === '') return;
    const fields = text.replace(/\r$/, '').split('\t');
    if (fields.length !== 5) {
      errors.push(problem(name, index + 1, `expected 5 TAB-separated fields (name, epoch, version, release, arch), got ${fields.length}: ${JSON.stringify(text)}`));
      return;
    }
    const [pkgName, epoch, version, release, arch] = fields;
    if (pkgName === '' || version === '') {
      errors.push(problem(name, index + 1, `package without a name or version: ${JSON.stringify(text)}`));
      return;
    }
    if (epoch !== NONE && !/^\d+$/.test(epoch)) {
      errors.push(problem(name, index + 1, `epoch ${JSON.stringify(epoch)} of ${pkgName} is not a number`));
      return;
    }
    const pkg: ParsedPackage = { name: pkgName, version, arch: arch === NONE ? '' : arch };
    if (epoch !== NONE) pkg.epoch = epoch;
    if (release !== NONE && release !== '') pkg.release = release;
    packages.push(pkg);
  });
  throwAll(errors);
  return packages;
}

/**
 * Splits a Debian version `[epoch:]upstream[-revision]` the way dpkg does: the epoch ends
 * at the first colon, the revision starts after the last hyphen.
 */
export function splitDebianVersion(full: string): { epoch?: string; version: string; release?: string } {
  let rest = full;
  let epoch: string | undefined;
  const colon = rest.indexOf(':');
  if (colon > 0 && /^\d+$/.test(rest.slice(0, colon))) {
    epoch = rest.slice(0, colon);
    rest = rest.slice(colon + 1);
  }
  const hyphen = rest.lastIndexOf('-');
  if (hyphen > 0 && hyphen < rest.length - 1) {
    return { ...(epoch !== undefined ? { epoch } : {}), version: rest.slice(0, hyphen), release: rest.slice(hyphen + 1) };
  }
  return { ...(epoch !== undefined ? { epoch } : {}), version: rest };
}

/** Parses the output of DEB_INVENTORY_COMMAND; keeps dpkg's (name-sorted) order. */
export function parseDebInventory(stdout: string, source: ParseSource = {}): ParsedPackage[] {
  const name = source.name ?? 'dpkg-query output';
  const packages: ParsedPackage[] = [];
  const errors: OzkitError[] = [];
  lines(stdout).forEach((text, index) => {
    if (text.trim() === '') return;
    const fields = text.replace(/\r$/, '').split('\t');
    if (fields.length !== 5) {
      errors.push(
        problem(
          name,
          index + 1,
          `expected 5 TAB-separated fields (binary:Package, Package, Version, Architecture, Status), got ${fields.length}: ${JSON.stringify(text)}`,
        ),
      );
      return;
    }
    const [qualified, pkgName, fullVersion, arch, statusAbbrev] = fields;
    if (pkgName === '') {
      errors.push(problem(name, index + 1, `package without a name: ${JSON.stringify(text)}`));
      return;
    }
    const status = statusAbbrev.trimEnd();
    // A package known only from its selection (never unpacked) has no version: keep it,
    // Oz's --get-selections lists it too.
    const split = fullVersion === '' ? { version: '' } : splitDebianVersion(fullVersion);
    const pkg: ParsedPackage = { name: pkgName, ...split, arch };
    if (qualified !== '' && qualified !== pkgName) pkg.qualifiedName = qualified;
    if (status !== '') pkg.status = status;
    packages.push(pkg);
  });
  throwAll(errors);
  return packages;
}

export function parseInventory(format: InventoryFormat, stdout: string, source: ParseSource = {}): ParsedPackage[] {
  return format === 'rpm' ? parseRpmInventory(stdout, source) : parseDebInventory(stdout, source);
}

/**
 * Splits os/icicle/extra_command output into one entry per package, as Oz pairs them:
 * line N belongs to package N, so the count must match the package query's line count.
 */
export function parseExtraOutput(stdout: string, packageCount: number): string[] {
  const extra = lines(stdout);
  if (extra.length !== packageCount) {
    throw new OzkitError('COMMAND_FAILED', `os/icicle/extra_command printed ${extra.length} line(s) but the package query listed ${packageCount} package(s)`, {
      hint: 'the extra command must print exactly one line per installed package, in `rpm -qa` order (Oz requires the same)',
    });
  }
  return extra;
}
