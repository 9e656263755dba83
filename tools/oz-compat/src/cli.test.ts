import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const bin = (tool: string) => join(import.meta.dirname, '..', 'bin', `${tool}.js`);
const work = mkdtempSync(join(tmpdir(), 'ozkit-oz-compat-'));
// A home of its own, so no ~/.oz/oz.cfg of the machine's is read.
const env = { PATH: process.env.PATH, HOME: work };
const run = (tool: string, args: string[], input = '') => {
  const r = spawnSync(process.execPath, [bin(tool), ...args], { cwd: work, env, input, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

const tdl = join(work, 'web.tdl');
writeFileSync(
  tdl,
  `<template><name>web</name><os><name>Debian</name><version>12</version><arch>x86_64</arch>
  <install type='iso'><iso>file:///nowhere/debian.iso</iso></install></os></template>\n`,
);
const config = join(work, 'oz.cfg');
writeFileSync(config, `[paths]\noutput_dir = ${work}/images\ndata_dir = ${work}/data\n`);

describe('the Oz commands without a VM', () => {
  it('-h prints Oz-style usage and exits 0; every command has one', () => {
    for (const tool of ['oz-install', 'oz-customize', 'oz-generate-icicle', 'oz-cleanup-cache']) {
      const r = run(tool, ['-h']);
      expect(r.code, tool).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: ${tool} \\[OPTIONS\\]`));
      expect(r.stdout).toMatch(/-c <config>, --config/);
    }
    expect(run('oz-install', ['-h']).stdout).toMatch(/-m <mac_address>, --mac-address +accepted and ignored/);
  });

  it('usage errors exit 1 as in Oz, one line + hint; -i without -g exits 3', () => {
    expect(run('oz-install', [])).toMatchObject({ code: 1, stderr: 'oz-install: no TDL given\noz-install: hint: see oz-install -h\n' });
    expect(run('oz-install', ['-q', tdl])).toMatchObject({ code: 1, stderr: expect.stringMatching(/^oz-install: option -q not recognized\n/) });
    expect(run('oz-install', ['-d', 'loud', tdl]).code).toBe(1);
    expect(run('oz-install', ['-i', 'x.xml', tdl])).toMatchObject({
      code: 3,
      stderr: expect.stringMatching(/^oz-install: The -i option must be combined with the -g option\n/),
    });
    expect(run('oz-install', ['-s', 'relative.dsk', '-c', config, tdl])).toMatchObject({ code: 1, stderr: expect.stringMatching(/must be an absolute path/) });
    expect(run('oz-customize', [tdl]).code).toBe(1);
    expect(run('oz-cleanup-cache', ['extra']).code).toBe(1);
  });

  it('a bad TDL is reported at FILE:LINE:COL with exit 65, no stack trace, nothing created', () => {
    const bad = join(work, 'bad.tdl');
    writeFileSync(bad, '<template><name>bad</name>\n  <os><name>Debian</name><version>12</version><arch>sparc</arch></os></template>\n');
    const r = run('oz-install', ['-c', config, bad]);
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(new RegExp(`^oz-install: ${bad}:2:\\d+: `, 'm'));
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(work, 'images'))).toBe(false);
  });

  it('refuses to overwrite an existing image without -p (Oz: "Diskimage … already exists")', () => {
    mkdirSync(join(work, 'images'), { recursive: true });
    writeFileSync(join(work, 'images', 'web.dsk'), 'an earlier image');
    const r = run('oz-install', ['-c', config, tdl]);
    expect(r).toMatchObject({ code: 64, stderr: expect.stringContaining(`oz-install: Diskimage ${work}/images/web.dsk already exists\n`) });
    expect(r.stderr).toMatch(/hint: .*-p/);
  });

  it("-p removes the earlier image, runs the stages, and passes a failing stage's exit code and error through; -m is warned about", () => {
    const r = run('oz-install', ['-p', '-d2', '-m', '52:54:00:00:00:01', '-c', config, '-a', join(work, 'missing.preseed'), tdl]);
    expect(r.code).toBe(66);
    expect(r.stderr).toMatch(/oz-install: warning: --mac-address 52:54:00:00:00:01: ignored/);
    expect(r.stderr).toMatch(/^ks-render: .*missing\.preseed/m);
    expect(r.stderr).toContain(`oz-install: stopped: ks-render failed (exit 66); the build's document: ${work}/data/oz-compat/web/answer.failed.json\n`);
    expect(existsSync(join(work, 'images', 'web.dsk'))).toBe(false);
    expect(existsSync(join(work, 'data', 'oz-compat', 'web', 'template.json'))).toBe(true);
    expect(existsSync(join(work, 'data', 'oz-compat', 'web', 'answer.json'))).toBe(false);
    expect(existsSync(join(work, 'data', 'oz-compat', 'web', 'answer.failed.json'))).toBe(true);
  });

  it("oz-customize and oz-generate-icicle refuse Oz's own libvirt XML (no ozkit build metadata) with exit 65", () => {
    const xml = join(work, 'oz.xml');
    writeFileSync(
      xml,
      "<domain type='kvm'><name>web</name><devices><disk type='file' device='disk'><source file='/var/lib/libvirt/images/web.dsk'/></disk></devices></domain>\n",
    );
    for (const tool of ['oz-customize', 'oz-generate-icicle']) {
      const r = run(tool, ['-c', config, tdl, xml]);
      expect(r.code, tool).toBe(65);
      expect(r.stderr).toMatch(/no ozkit build metadata/);
    }
  });

  it('oz-cleanup-cache asks first (n or nothing keeps everything), -f empties every cache area and keeps the areas', () => {
    const cache = join(work, 'data');
    const fill = () => {
      for (const area of ['isos', 'jeos', 'modified']) {
        mkdirSync(join(cache, area, 'entry'), { recursive: true });
        writeFileSync(join(cache, area, 'entry', 'file'), 'x');
      }
    };
    fill();
    const no = run('oz-cleanup-cache', ['-c', config], 'maybe\nn\n');
    expect(no.code).toBe(0);
    expect(no.stdout).toMatch(
      new RegExp(`^Going to remove all content from ${cache}/isos, ${cache}/modified, ${cache}/jeos, .*; continue\\? \\(y/N\\) Please enter 'y' or 'n'\\n`),
    );
    expect(readdirSync(join(cache, 'jeos'))).toEqual(['entry']);
    expect(run('oz-cleanup-cache', ['-c', config], '').code).toBe(0);
    expect(readdirSync(join(cache, 'jeos'))).toEqual(['entry']);
    const yes = run('oz-cleanup-cache', ['-c', config], 'y\n');
    expect(yes.stdout).toContain(`Removing cached content from ${cache}/jeos\n`);
    expect(readdirSync(join(cache, 'jeos'))).toEqual([]);
    fill();
    expect(run('oz-cleanup-cache', ['-f', '-c', config]).code).toBe(0);
    for (const area of ['isos', 'jeos', 'modified']) expect(readdirSync(join(cache, area))).toEqual([]);
    expect(existsSync(join(cache, 'oz-compat'))).toBe(true);
  });
});
