import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkBootMedia } from './boot-media-check.js';
import { needsPrograms } from '../../../test/support/missing-program.js';

needsPrograms('qemu-img');

let dir: string;
let iso: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ozkit-boot-media-check-'));
  // Enough of an ISO for the check: the primary volume descriptor's magic at 0x8001.
  const image = Buffer.alloc(64 * 1024);
  image.write('\x01CD001\x01', 0x8000, 'latin1');
  iso = join(dir, 'original.iso');
  writeFileSync(iso, image);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function overlay(name: string, backing: string, format = 'raw'): string {
  const path = join(dir, name);
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', backing, '-F', format, path, '128K']);
  return path;
}

describe('a qcow2 boot ISO (an overlay on the original)', () => {
  it('passes when it names the document’s isoBacking, a raw ISO', () => {
    const path = overlay('boot.qcow2', iso);
    expect(() => checkBootMedia({ method: 'iso', iso: path, sha256: '0', isoFormat: 'qcow2', isoBacking: iso }, 'x86_64')).not.toThrow();
  });

  it('refuses an overlay backed by another file than isoBacking says (QEMU would read that one)', () => {
    const other = join(dir, 'other.iso');
    writeFileSync(other, Buffer.alloc(4096));
    const path = overlay('sneaky.qcow2', other);
    expect(() => checkBootMedia({ method: 'iso', iso: path, sha256: '0', isoFormat: 'qcow2', isoBacking: iso }, 'x86_64')).toThrow(
      `media.boot.iso: ${path} is backed by ${other}, not by media.boot.isoBacking (${iso})`,
    );
  });

  it('refuses a plain ISO said to be qcow2, a backing of another format, a backing that is not an ISO', () => {
    expect(() => checkBootMedia({ method: 'iso', iso, sha256: '0', isoFormat: 'qcow2', isoBacking: iso }, 'x86_64')).toThrow(/is not a qcow2 image/);
    const base = overlay('base.qcow2', iso);
    const chained = overlay('chained.qcow2', base, 'qcow2');
    expect(() => checkBootMedia({ method: 'iso', iso: chained, sha256: '0', isoFormat: 'qcow2', isoBacking: base }, 'x86_64')).toThrow(
      /does not record its backing file as raw \(got qcow2\)/,
    );
    const notIso = join(dir, 'zeros.raw');
    writeFileSync(notIso, Buffer.alloc(64 * 1024));
    const path = overlay('zeros.qcow2', notIso);
    expect(() => checkBootMedia({ method: 'iso', iso: path, sha256: '0', isoFormat: 'qcow2', isoBacking: notIso }, 'x86_64')).toThrow(
      /media\.boot\.isoBacking: .* is not an ISO 9660 image/,
    );
  });

  it('a raw boot ISO (or one with no isoFormat, as older documents have) is checked as an ISO', () => {
    expect(() => checkBootMedia({ method: 'iso', iso, sha256: '0' }, 'x86_64')).not.toThrow();
    const path = overlay('plain-said.qcow2', iso);
    expect(() => checkBootMedia({ method: 'iso', iso: path, sha256: '0', isoFormat: 'raw' }, 'x86_64')).toThrow(/is not an ISO 9660 image/);
  });
});
