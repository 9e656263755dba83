import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTdl } from '@ozkit/tdl';
import type { DocumentWith } from '@ozkit/build-document';
import type { MirrorSettings } from './answer-context.js';

/** The archive settings unit tests render with, so no test depends on the host's apt sources. */
export const TEST_MIRRORS: MirrorSettings = { debian: 'http://mirror.example/debian', ubuntu: 'http://mirror.example/ubuntu' };

/** Temp dirs for tests, removed by `cleanup()`. */
export class Scratch {
  readonly dirs: string[] = [];
  dir(): string {
    const d = mkdtempSync(join(tmpdir(), 'ks-render-test-'));
    this.dirs.push(d);
    return d;
  }
  cleanup(): void {
    for (const d of this.dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  }
}

export interface TdlOptions {
  name?: string;
  os: string;
  version: string;
  arch?: string;
  rootpw?: string;
  install?: string;
  /** Extra top-level elements (packages, commands…). */
  body?: string;
}

function xmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Writes a TDL into `dir`, validates it with @ozkit/tdl and returns the document tdl-validate would. */
export function documentFor(dir: string, o: TdlOptions): DocumentWith<'workdir' | 'template'> {
  const rootpw = o.rootpw !== undefined ? `\n    <rootpw>${xmlEscape(o.rootpw)}</rootpw>` : '';
  const xml = `<template>
  <name>${xmlEscape(o.name ?? 'jeos')}</name>
  <os>
    <name>${xmlEscape(o.os)}</name>
    <version>${xmlEscape(o.version)}</version>
    <arch>${o.arch ?? 'x86_64'}</arch>${rootpw}
    ${o.install ?? '<install type="iso"><iso>http://media.example.org/install.iso</iso></install>'}
  </os>${o.body ? `\n  ${o.body}` : ''}
</template>
`;
  const path = join(dir, 'template.tdl');
  writeFileSync(path, xml);
  const { template } = parseTdl(Buffer.from(xml), { path, checkLocalFiles: false });
  return { ozkit: 1, workdir: join(dir, 'work'), template, stages: [] };
}

export const CUSTOMIZE_BODY = '<packages><package name="vim"/></packages>';

/** Every OS the issue lists, as users write them, with the format each must get. */
export const EVERY_OS: { os: string; version: string; format: 'kickstart' | 'preseed' | 'autoinstall' | 'autoyast' }[] = [
  { os: 'RHEL-7', version: '9', format: 'kickstart' },
  { os: 'CentOS-7', version: '9', format: 'kickstart' },
  { os: 'RHEL-8', version: '10', format: 'kickstart' },
  { os: 'CentOS-8', version: '5', format: 'kickstart' },
  { os: 'RHEL-9', version: '4', format: 'kickstart' },
  { os: 'RHEL', version: '10.0', format: 'kickstart' },
  { os: 'CentOS-Stream-9', version: '9', format: 'kickstart' },
  { os: 'CentOS-Stream-10', version: '10', format: 'kickstart' },
  { os: 'Rocky-8', version: '8.10', format: 'kickstart' },
  { os: 'Rocky-9', version: '9', format: 'kickstart' },
  { os: 'AlmaLinux-8', version: '8.9', format: 'kickstart' },
  { os: 'AlmaLinux-9', version: '9.4', format: 'kickstart' },
  { os: 'Fedora', version: '39', format: 'kickstart' },
  { os: 'Fedora', version: '42', format: 'kickstart' },
  { os: 'Fedora', version: '43', format: 'kickstart' },
  { os: 'Debian', version: '10', format: 'preseed' },
  { os: 'Debian', version: '11', format: 'preseed' },
  { os: 'Debian', version: '12', format: 'preseed' },
  { os: 'Debian', version: '13', format: 'preseed' },
  { os: 'Ubuntu', version: '14.04', format: 'preseed' },
  { os: 'Ubuntu', version: '16.04', format: 'preseed' },
  { os: 'Ubuntu', version: '18.04.6', format: 'preseed' },
  { os: 'Ubuntu', version: '20.04', format: 'autoinstall' },
  { os: 'Ubuntu', version: '22.04', format: 'autoinstall' },
  { os: 'Ubuntu', version: '24.04', format: 'autoinstall' },
  { os: 'openSUSE-Leap', version: '15.6', format: 'autoyast' },
  { os: 'openSUSE', version: 'Tumbleweed', format: 'autoyast' },
  { os: 'SLES-15', version: 'SP6', format: 'autoyast' },
];
