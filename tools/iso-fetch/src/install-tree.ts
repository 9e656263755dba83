import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { OzkitError } from '@ozkit/errors';
import type { Arch, OsFamily } from '@ozkit/build-document';
import { parseIni } from '@ozkit/config';
import type { ExpectedChecksum } from './checksum.js';
import { fetchText, urlExists } from './http-download.js';
import { fetchOriginal, type FetchContext, type FetchedFile } from './original-media.js';
import { keyFor, parseMediaSource, treeUrl } from './media-source.js';
import { readSyslinuxEntries } from './syslinux-config.js';

export interface TreeBootFiles {
  tree: string;
  kernel: FetchedFile;
  initrd: FetchedFile;
  /** Arguments the tree's own boot config gives (d-i txt.cfg), e.g. vga=788. */
  baseArgs: string[];
  layout: 'treeinfo' | 'pxeboot' | 'd-i netboot';
  /** sha256 over both files' digests: one value that names this kernel+initrd pair. */
  sha256: string;
}

const DEBIAN_ARCH: Partial<Record<Arch, string>> = { x86_64: 'amd64', i386: 'i386', aarch64: 'arm64', ppc64le: 'ppc64el', s390x: 's390x', armv7l: 'armhf' };

async function readTreeText(url: string, ctx: FetchContext): Promise<string | undefined> {
  const source = parseMediaSource(url, process.cwd(), 'install tree');
  if (source.kind === 'file') return existsSync(source.path) ? readFile(source.path, 'utf8') : undefined;
  const refName = keyFor('text', url);
  if (ctx.offline) {
    const ref = await ctx.refs.readRef(refName);
    return typeof ref?.text === 'string' ? ref.text : undefined;
  }
  if (!(await urlExists(url, ctx.policy, ctx.signal))) return undefined;
  const text = await fetchText(url, ctx.policy, ctx.logger, ctx.signal);
  await ctx.refs.writeRef(refName, { key: createHash('sha256').update(text).digest('hex'), text });
  return text;
}

async function exists(url: string, ctx: FetchContext): Promise<boolean> {
  const source = parseMediaSource(url, process.cwd(), 'install tree');
  if (source.kind === 'file') return existsSync(source.path);
  if (ctx.offline) return (await ctx.store.readRef(keyFor('url', source.url))) !== undefined;
  return urlExists(url, ctx.policy, ctx.signal);
}

/** `[checksums]` of a .treeinfo: `images/pxeboot/vmlinuz = sha256:…`. */
function treeinfoChecksum(ini: ReturnType<typeof parseIni>, rel: string, source: string): ExpectedChecksum | null {
  const v = ini.get('checksums')?.get(rel.toLowerCase())?.value;
  const m = v && /^(sha256|sha1|md5|sha512):([0-9a-f]+)$/i.exec(v.trim());
  return m ? { algorithm: m[1].toLowerCase() as ExpectedChecksum['algorithm'], hex: m[2].toLowerCase(), source } : null;
}

/**
 * The installer kernel and initrd of a url install, the way Oz finds them: Red Hat trees
 * through `.treeinfo` (`[images-<arch>]`, falling back to images/pxeboot/), Debian/Ubuntu
 * through the d-i netboot layout (`…/<distro>-installer/<arch>/linux` + `initrd.gz`).
 */
export async function fetchTreeBootFiles(url: string, family: OsFamily, arch: Arch, ctx: FetchContext): Promise<TreeBootFiles> {
  // A tree is probed file by file (.treeinfo, pxeboot, netboot): that is http's HEAD, not ftp's.
  if (/^ftp:/i.test(url))
    throw new OzkitError('BAD_TDL', `install tree ${url}: ftp:// trees are not supported (ftp:// works for <iso> and checksum files)`, {
      hint: 'use the http(s):// address of the tree, or install from the ISO',
    });
  const base = url.endsWith('/') ? url : url + '/';
  let kernelRel: string | undefined;
  let initrdRel: string | undefined;
  let baseArgs: string[] = [];
  let layout: TreeBootFiles['layout'] | undefined;
  let kernelSum: ExpectedChecksum | null = null;
  let initrdSum: ExpectedChecksum | null = null;
  if (family === 'redhat' || family === 'suse') {
    const treeinfo = (await readTreeText(treeUrl(base, '.treeinfo'), ctx)) ?? (await readTreeText(treeUrl(base, 'treeinfo'), ctx));
    if (treeinfo !== undefined) {
      const ini = parseIni(treeinfo, treeUrl(base, '.treeinfo'));
      const images = ini.get(`images-${arch}`);
      kernelRel = images?.get('kernel')?.value;
      initrdRel = images?.get('initrd')?.value;
      if (kernelRel && initrdRel) {
        layout = 'treeinfo';
        kernelSum = treeinfoChecksum(ini, kernelRel, treeUrl(base, '.treeinfo'));
        initrdSum = treeinfoChecksum(ini, initrdRel, treeUrl(base, '.treeinfo'));
      }
    }
    if (!layout && (await exists(treeUrl(base, 'images/pxeboot/vmlinuz'), ctx))) {
      kernelRel = 'images/pxeboot/vmlinuz';
      initrdRel = 'images/pxeboot/initrd.img';
      layout = 'pxeboot';
    }
  } else {
    const darch = DEBIAN_ARCH[arch] ?? arch;
    const distro = family === 'ubuntu' ? 'ubuntu' : 'debian';
    const candidates = [
      '',
      `${distro}-installer/${darch}/`,
      `main/installer-${darch}/current/images/netboot/${distro}-installer/${darch}/`,
      `current/images/netboot/${distro}-installer/${darch}/`,
    ];
    for (const dir of candidates) {
      const txt = await readTreeText(treeUrl(base, `${dir}boot-screens/txt.cfg`), ctx);
      if (txt !== undefined) {
        // txt.cfg paths are relative to the netboot root, two levels up from <distro>-installer/<arch>/.
        const root = dir.replace(new RegExp(`${distro}-installer/${darch}/$`), '');
        const entry = readSyslinuxEntries('/txt.cfg', (p) => (p === '/txt.cfg' ? txt : undefined))[0];
        if (entry && entry.initrds[0]) {
          const rel = (p: string) => {
            const r = p.replace(/^\//, '');
            // A URL that already is <distro>-installer/<arch>/: txt.cfg's paths start two levels up.
            return dir === '' ? r.replace(new RegExp(`^${distro}-installer/${darch}/`), '') : root + r;
          };
          kernelRel = rel(entry.kernel);
          initrdRel = rel(entry.initrds[0]);
          baseArgs = entry.args;
          layout = 'd-i netboot';
          break;
        }
      }
      if (await exists(treeUrl(base, `${dir}linux`), ctx)) {
        kernelRel = `${dir}linux`;
        initrdRel = `${dir}initrd.gz`;
        layout = 'd-i netboot';
        break;
      }
    }
  }
  if (!layout || !kernelRel || !initrdRel) {
    if (ctx.offline)
      throw new OzkitError('OFFLINE_MISS', `the installer kernel of ${url} is not in the cache and --offline is set`, { hint: 'run once without --offline' });
    throw new OzkitError(
      'BAD_MEDIA',
      `${url}: no installer kernel found (${family === 'redhat' ? '.treeinfo [images-' + arch + '] or images/pxeboot/vmlinuz' : 'a d-i netboot tree with <distro>-installer/<arch>/linux'})`,
      {
        hint: 'check the TDL <url>: it must point at the root of an install tree',
      },
    );
  }
  const kernel = await fetchOriginal(parseMediaSource(treeUrl(base, kernelRel)), kernelSum, ctx, 'installer kernel');
  const initrd = await fetchOriginal(parseMediaSource(treeUrl(base, initrdRel)), initrdSum, ctx, 'installer initrd');
  const sha256 = createHash('sha256').update(`kernel ${kernel.sha256}\ninitrd ${initrd.sha256}\n`).digest('hex');
  return { tree: url, kernel, initrd, baseArgs, layout, sha256 };
}
