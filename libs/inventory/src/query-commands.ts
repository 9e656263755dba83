import type { Customize, Inventory } from '@ozkit/build-document';

export type InventoryFormat = Inventory['format'];
export type PackageManager = Customize['guest']['packageManager'];

/**
 * One line per package, fields separated by TABs. `rpm -qa` walks the rpm database in the
 * same order as Oz's plain `rpm -qa`, so the os/icicle/extra_command output (which Oz pairs
 * line by line with `rpm -qa`) stays aligned. `%{EPOCH}` and `%{ARCH}` print `(none)` when
 * unset (gpg-pubkey pseudo-packages have no arch).
 */
export const RPM_INVENTORY_COMMAND = "rpm -qa --qf '%{NAME}\\t%{EPOCH}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\n'";

/**
 * `dpkg-query -W` with no pattern lists the same packages, in the same order, as Oz's
 * `dpkg --get-selections` (every package not in state not-installed, sorted by name).
 * `${binary:Package}` is the name exactly as --get-selections prints it (`libc6:amd64`
 * for Multi-Arch: same or foreign-architecture packages); `${db:Status-Abbrev}` tells
 * installed packages (`ii`) from removed ones whose config files remain (`rc`).
 */
export const DEB_INVENTORY_COMMAND = "dpkg-query -W -f '${binary:Package}\\t${Package}\\t${Version}\\t${Architecture}\\t${db:Status-Abbrev}\\n'";

/** The command that lists every installed package for an inventory format. */
export function inventoryCommand(format: InventoryFormat): string {
  return format === 'rpm' ? RPM_INVENTORY_COMMAND : DEB_INVENTORY_COMMAND;
}

/** apt → deb; dnf, yum, zypper → rpm. */
export function inventoryFormatFor(packageManager: PackageManager): InventoryFormat {
  return packageManager === 'apt' ? 'deb' : 'rpm';
}

/**
 * A shell snippet that prints `rpm` or `deb` for the package database the guest really has
 * (dpkg first: Debian systems sometimes carry an rpm binary without using it).
 */
export const INVENTORY_FORMAT_PROBE =
  'if command -v dpkg-query >/dev/null 2>&1; then echo deb; elif command -v rpm >/dev/null 2>&1; then echo rpm; else echo none; fi';
