/**
 * Console text that means the guest will not get any further: a kernel panic, or firmware and
 * boot loader messages of a disk that does not boot. One list for every stage that boots a guest.
 */

export interface BootTrouble {
  kind: 'panic' | 'no-boot';
  /** The console line that showed it. */
  line: string;
  /** What is known to cause it, when it is a known one. */
  hint?: string;
}

const PANIC_PATTERNS: RegExp[] = [/Kernel panic - not syncing/, /---\[ end Kernel panic/, /\bKernel panic\b/];

const NO_BOOT_PATTERNS: RegExp[] = [/grub rescue>/, /No bootable device/, /Boot failed/];

/** Troubles with a known cause get a hint that names it. */
const KNOWN_CAUSES: { pattern: RegExp; hint: string }[] = [
  {
    pattern: /IO-APIC \+ timer doesn't work/,
    hint: "Linux's early timer check failed: common under TCG on a busy host. Retry, give the guest the kernel argument no_timer_check, or use KVM",
  },
  {
    pattern: /VFS: Unable to mount root fs/,
    hint: 'the kernel found no root file system: the initrd lacks the disk/CD driver, or root= names the wrong device',
  },
  {
    pattern: /Attempted to kill init/,
    hint: "the guest's init process died: see the lines before the panic for its error",
  },
  {
    pattern: /grub rescue>/,
    hint: 'GRUB found its core but not its modules or configuration: the boot partition is damaged, or the disk is not the one GRUB was installed for',
  },
  {
    pattern: /No bootable device|Boot failed/,
    hint: 'the firmware found nothing to boot: the disk has no boot loader (an install that never wrote one, or a bare file-system image — boot it with a kernel)',
  },
];

/** Lines that open a kernel crash report: what comes just before one says what crashed. */
const CRASH_REPORT_START: RegExp[] = [/sysrq: Trigger a crash/, /\bBUG:/, /\bOops\b/, /general protection fault/, /Kernel panic/];

/**
 * The console lines to keep as evidence of a panic: from a few lines before the crash report
 * opens (the guest's last words) to the end, so a long register dump and call trace cannot push
 * the cause out of a fixed-size tail. Long reports keep their head and their end.
 */
export function panicEvidenceLines(lines: readonly string[], context = 10, max = 120): string[] {
  const start = lines.findIndex((l) => CRASH_REPORT_START.some((p) => p.test(l)));
  if (start < 0) return lines.slice(-40);
  const kept = lines.slice(Math.max(0, start - context));
  return kept.length <= max ? kept : [...kept.slice(0, max / 2), ...kept.slice(-max / 2)];
}

export function isPanicLine(line: string): boolean {
  return PANIC_PATTERNS.some((p) => p.test(line));
}

/** The hint for a known panic or boot failure, else undefined. */
export function troubleHint(line: string): string | undefined {
  return KNOWN_CAUSES.find((k) => k.pattern.test(line))?.hint;
}

/** What `line` says about the boot, if it says the guest is stuck for good. */
export function bootTroubleIn(line: string): BootTrouble | undefined {
  const kind = isPanicLine(line) ? 'panic' : NO_BOOT_PATTERNS.some((p) => p.test(line)) ? 'no-boot' : undefined;
  if (!kind) return undefined;
  const hint = troubleHint(line);
  return { kind, line: line.trim(), ...(hint ? { hint } : {}) };
}

/** The first trouble in `lines` (a console tail), if any. */
export function firstBootTrouble(lines: readonly string[]): BootTrouble | undefined {
  for (const line of lines) {
    const trouble = bootTroubleIn(line);
    if (trouble) return trouble;
  }
  return undefined;
}
