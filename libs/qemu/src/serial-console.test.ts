import { describe, expect, test } from 'vitest';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialConsole, cleanConsoleLine } from './serial-console.js';

describe('cleanConsoleLine', () => {
  test('drops terminal escapes and control bytes that installers paint with', () => {
    expect(cleanConsoleLine('\x1b[1;37;44m  Download installer components \x1b[0m\x07  ')).toBe('  Download installer components');
    expect(cleanConsoleLine('\x1b(B\x1b)0\x1b[?25lOK')).toBe('OK');
  });
});

describe('SerialConsole', () => {
  test('follows a growing file: lines in order, partial lines joined, tail and waitFor', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'console-'));
    const file = join(dir, 'console.log');
    const console = new SerialConsole(file, { pollMs: 20 });
    const lines: string[] = [];
    console.onLine((l) => lines.push(l));
    console.start();
    try {
      const marker = console.waitFor(/INSTALL-COMPLETE/, 5000);
      appendFileSync(file, 'boot\r\nstep one\nstep t');
      await console.poll();
      expect(lines).toEqual(['boot', 'step one']);
      expect(console.tail(5)).toEqual(['boot', 'step one', 'step t']);
      appendFileSync(file, 'wo\n\x1b[0mOZKIT-INSTALL-COMPLETE abc\n');
      expect(await marker).toBe('OZKIT-INSTALL-COMPLETE abc');
      const prompt = console.waitFor(/login:/, 5000);
      appendFileSync(file, 'host login: ');
      expect(await prompt).toBe('host login:');
      appendFileSync(file, '\nlast words without newline');
      await console.stop();
      expect(lines).toEqual(['boot', 'step one', 'step two', 'OZKIT-INSTALL-COMPLETE abc', 'host login:', 'last words without newline']);
      expect(console.tail(2)).toEqual(['host login:', 'last words without newline']);
      // an already seen line satisfies waitFor at once
      expect(await console.waitFor('step two', 10)).toBe('step two');
      await expect(console.waitFor('never', 50, { includePast: false })).rejects.toMatchObject({ code: 'TIMEOUT' });
    } finally {
      await console.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
