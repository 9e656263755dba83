import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '@ozkit/log';
import { writeOutputImage } from './image-output.js';
import { alignToMiB, conversionCommands, conversionFor, conversionProblems, OUTPUT_FORMATS } from './output-format.js';
import { outputFormatFor } from './working-image.js';

const MiB = 1024 * 1024;
const source = { path: '/w/img.qcow2', format: 'qcow2' as const };

describe('conversionFor: the qemu-img options each target needs', () => {
  it('vmdk is streamOptimized (vSphere, OVA), compressed by its nature', () => {
    const c = conversionFor('vmdk', false, 4 * 1024 * MiB);
    expect(conversionCommands(c, source, '/w/out.vmdk')).toEqual([
      ['convert', '-f', 'qcow2', '-O', 'vmdk', '-o', 'subformat=streamOptimized', '/w/img.qcow2', '/w/out.vmdk'],
    ]);
    expect(c).toMatchObject({ subformat: 'streamOptimized', compressed: true, checkable: true });
    expect(conversionFor('vmdk', true, MiB)).toMatchObject({ compressFlag: true, compressed: true });
    expect(conversionFor('vmdk', true, MiB).compressionRefused).toBeUndefined();
    // A stream is written in order.
    expect(conversionCommands(conversionFor('vmdk', true, MiB), source, '/o')[0]).not.toContain('-W');
  });

  it('vpc is a fixed VHD with force_size at a MiB-aligned size, created first and converted into', () => {
    const c = conversionFor('vpc', false, 1000500000);
    expect(c.virtualSize).toBe(955 * MiB);
    expect(conversionCommands(c, source, '/w/out.vhd')).toEqual([
      ['create', '-q', '-f', 'vpc', '-o', 'subformat=fixed,force_size=on', '/w/out.vhd', String(955 * MiB)],
      ['convert', '-n', '--target-is-zero', '-f', 'qcow2', '-O', 'vpc', '/w/img.qcow2', '/w/out.vhd'],
    ]);
    expect(conversionFor('vpc', false, 4 * 1024 * MiB).virtualSize).toBe(4 * 1024 * MiB);
    expect(alignToMiB(1)).toBe(MiB);
    expect(alignToMiB(MiB)).toBe(MiB);
  });

  it('--compress is qemu-img convert -c -W for qcow2 (compressing on every core), and refused (with a reason) where the format cannot', () => {
    expect(conversionCommands(conversionFor('qcow2', true, MiB), source, '/o')[0]).toEqual([
      'convert',
      '-c',
      '-W',
      '-f',
      'qcow2',
      '-O',
      'qcow2',
      '-o',
      'cluster_size=65536',
      '/w/img.qcow2',
      '/o',
    ]);
    expect(conversionFor('qcow2', false, MiB).compressFlag).toBe(false);
    for (const format of ['raw', 'vhdx', 'vpc'] as const) {
      const c = conversionFor(format, true, MiB);
      expect(c.compressFlag).toBe(false);
      expect(c.compressed).toBe(false);
      expect(c.compressionRefused).toMatch(/compress/);
      expect(conversionFor(format, false, MiB).compressionRefused).toBeUndefined();
    }
    expect(conversionCommands(conversionFor('vhdx', false, MiB), source, '/o')[0]).toContain('subformat=dynamic');
  });

  it('the output format defaults to the installed disk, qcow2 when compressing', () => {
    expect(outputFormatFor({ format: 'raw' }, undefined, false)).toBe('raw');
    expect(outputFormatFor({ format: 'raw' }, undefined, true)).toBe('qcow2');
    expect(outputFormatFor({ format: 'qcow2' }, 'vhdx', true)).toBe('vhdx');
  });

  it('finds a result that is not what was asked for', () => {
    const vmdk = conversionFor('vmdk', false, 8 * MiB);
    expect(
      conversionProblems(
        vmdk,
        { format: 'vmdk', 'virtual-size': 8 * MiB, 'format-specific': { type: 'vmdk', data: { 'create-type': 'streamOptimized' } } },
        8 * MiB,
      ),
    ).toEqual([]);
    expect(
      conversionProblems(
        vmdk,
        { format: 'vmdk', 'virtual-size': 8 * MiB, 'format-specific': { type: 'vmdk', data: { 'create-type': 'monolithicSparse' } } },
        8 * MiB,
      ),
    ).toEqual(['vmdk create-type monolithicSparse, expected streamOptimized']);
    expect(conversionProblems(conversionFor('vpc', false, 8 * MiB + 5), { format: 'vpc', 'virtual-size': 8 * MiB + 512 }, 8 * MiB + 5)[0]).toMatch(/virtual size/);
    expect(conversionProblems(conversionFor('vhdx', false, 8 * MiB), { format: 'raw', 'virtual-size': 4 * MiB }, 8 * MiB)).toHaveLength(2);
  });
});

describe('writeOutputImage with the real qemu-img', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ozkit-output-format-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // An odd size, so the vpc alignment shows; a recognisable block of data in the middle.
  const size = 20 * MiB + 4096;
  const raw = join(dir, 'disk.raw');
  const pattern = Buffer.alloc(MiB, 'ozkit-output-format ');
  writeFileSync(raw, Buffer.alloc(0));
  execFileSync('truncate', ['-s', String(size), raw]);
  execFileSync('dd', [`of=${raw}`, 'bs=1M', 'seek=5', 'conv=notrunc', 'status=none'], { input: pattern });
  const src = join(dir, 'disk.qcow2');
  execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, src]);

  const readBack = (path: string, format: string) => {
    const back = join(dir, `back-${format}.raw`);
    execFileSync('qemu-img', ['convert', '-f', format, '-O', 'raw', path, back]);
    return back;
  };

  for (const format of OUTPUT_FORMATS) {
    it(`writes ${format} that qemu-img reads back byte for byte`, async () => {
      const out = join(dir, `out.${format}`);
      const c = conversionFor(format, false, size);
      await writeOutputImage({ path: src, format: 'qcow2', virtualSize: size }, out, c, silentLogger());
      const info = JSON.parse(execFileSync('qemu-img', ['info', '--output=json', '-f', format, out], { encoding: 'utf8' }));
      expect(info.format).toBe(format);
      const back = readBack(out, format);
      const got = execFileSync('cmp', ['-n', String(size), raw, back]).toString();
      expect(got).toBe('');
      if (format === 'vpc') {
        expect(info['virtual-size']).toBe(21 * MiB);
        expect(statSync(out).size).toBe(21 * MiB + 512);
      }
      if (format === 'vmdk') expect(info['format-specific'].data['create-type']).toBe('streamOptimized');
      expect(readdirSync(dir).filter((n) => n.includes('.converting'))).toEqual([]);
    });
  }

  it('compresses qcow2 (smaller than the plain copy)', async () => {
    const plain = join(dir, 'plain.qcow2');
    const packed = join(dir, 'packed.qcow2');
    await writeOutputImage({ path: src, format: 'qcow2', virtualSize: size }, plain, conversionFor('qcow2', false, size), silentLogger());
    await writeOutputImage({ path: src, format: 'qcow2', virtualSize: size }, packed, conversionFor('qcow2', true, size), silentLogger());
    expect(statSync(packed).size).toBeLessThan(statSync(plain).size);
  });

  it('leaves nothing behind when qemu-img fails', async () => {
    const out = join(dir, 'broken.vmdk');
    await expect(
      writeOutputImage({ path: join(dir, 'missing.qcow2'), format: 'qcow2', virtualSize: size }, out, conversionFor('vmdk', false, size), silentLogger()),
    ).rejects.toThrow(/converting .*missing\.qcow2 to vmdk/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((n) => n.includes('broken'))).toEqual([]);
  });
});
