import { describe, expect, test } from 'vitest';
import { bootTroubleIn, firstBootTrouble, isPanicLine, troubleHint, panicEvidenceLines } from './boot-trouble.js';

describe('boot trouble on the console', () => {
  test('kernel panics in their three spellings, not ordinary lines', () => {
    expect(isPanicLine('[    9.9] Kernel panic - not syncing: sysrq triggered crash')).toBe(true);
    expect(isPanicLine('---[ end Kernel panic - not syncing: VFS: Unable to mount root fs ]---')).toBe(true);
    expect(isPanicLine('[    1.2] Kernel panic at boot')).toBe(true);
    expect(isPanicLine('Configuring panic-button.service')).toBe(false);
  });

  test('a disk that does not boot: GRUB rescue, firmware with nothing to boot', () => {
    expect(bootTroubleIn('grub rescue> ')).toMatchObject({ kind: 'no-boot', line: 'grub rescue>' });
    expect(bootTroubleIn('No bootable device.')).toMatchObject({ kind: 'no-boot' });
    expect(bootTroubleIn('Boot failed: not a bootable disk')?.hint).toMatch(/nothing to boot/);
    expect(bootTroubleIn('Booting from Hard Disk...')).toBeUndefined();
    expect(bootTroubleIn('debian login:')).toBeUndefined();
  });

  test('known panics carry a hint that names the cause; unknown ones none', () => {
    const timer = "[    0.032000] Kernel panic - not syncing: IO-APIC + timer doesn't work!  Boot with apic=debug and send a report.";
    expect(bootTroubleIn(timer)).toMatchObject({ kind: 'panic', hint: expect.stringMatching(/no_timer_check/) });
    expect(troubleHint('Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)')).toMatch(/root file system/);
    expect(troubleHint('Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000100')).toMatch(/init process died/);
    expect(troubleHint('Kernel panic - not syncing: sysrq triggered crash')).toBeUndefined();
    expect(bootTroubleIn('Kernel panic - not syncing: sysrq triggered crash')).not.toHaveProperty('hint');
  });

  test('firstBootTrouble finds the first one in a tail', () => {
    expect(firstBootTrouble(['a', 'b'])).toBeUndefined();
    expect(firstBootTrouble(['a', 'Kernel panic - not syncing: x', 'grub rescue>'])).toMatchObject({ kind: 'panic', line: 'Kernel panic - not syncing: x' });
  });
});

describe('panicEvidenceLines', () => {
  const boot = Array.from({ length: 30 }, (_, i) => `boot line ${i}`);
  const dump = Array.from({ length: 200 }, (_, i) => `RIP/stack line ${i}`);

  test('keeps the lines before the crash report even when its dump is longer than any fixed tail', () => {
    const lines = [...boot, 'tiny-guest: crashing', 'sysrq: Trigger a crash', ...dump, 'Kernel panic - not syncing: sysrq triggered crash'];
    const kept = panicEvidenceLines(lines);
    expect(kept).toContain('tiny-guest: crashing');
    expect(kept.at(-1)).toMatch(/Kernel panic - not syncing/);
    expect(kept).toHaveLength(120);
    expect(kept[0]).toBe('boot line 21');
  });

  test('a short report is kept whole with its context; no report at all gives the plain tail', () => {
    const lines = [...boot, 'BUG: unable to handle page fault', 'Kernel panic - not syncing: Fatal exception'];
    expect(panicEvidenceLines(lines)).toEqual(lines.slice(20));
    expect(panicEvidenceLines(boot.concat(dump))).toEqual(boot.concat(dump).slice(-40));
  });
});
