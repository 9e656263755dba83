import { createHash } from 'node:crypto';
import type {
  Arch,
  ChecksumKind,
  InstallSource,
  IsoExtra,
  SecretReference,
  Template,
  TemplateCommand,
  TemplateFile,
  TemplatePackage,
  TemplateRepository,
} from '@ozkit/build-document';
import { OzkitErrorList } from '@ozkit/errors';
import { parseChecksum } from './checksum.js';
import { isLoopbackHost, urlHosts, urlScheme } from './content-url.js';
import { DEFAULT_DISK_BYTES, MAX_QEMU_DISK_BYTES, parseDiskSize } from './disk-size.js';
import { locatedError, ProblemCollector, type TdlProblem } from './problems.js';
import { readContent } from './content-reader.js';
import { decodeSource, SourceDecodeError, SourceSyntaxError, type SourceText } from './source-text.js';
import { readXml, type XmlElement } from './xml-reader.js';
import { attributesOf, childrenByName, quote, textOf, type ChildRule } from './xml-shape.js';

export const ARCHES: readonly Arch[] = ['i386', 'x86_64', 'ppc64', 'ppc64le', 'aarch64', 'armv7l', 's390x'];
/** The TDL version this reads (Oz's schema allows only 1.0). */
export const TDL_VERSION = '1.0';

export interface ParseTdlOptions {
  /** Absolute path of the TDL (recorded in the template, named in messages). */
  path: string;
  /** How to name the file in messages (default: `path`), e.g. `<stdin>`. */
  label?: string;
  /** Oz-style relative `file://dir/x` contents resolve against this (default: process.cwd()). */
  cwd?: string;
  /** Check that `file://` contents of files and commands exist (default true). */
  checkLocalFiles?: boolean;
}

export interface ParsedTdl {
  template: Template;
  /** Things that are valid but probably not what was meant (e.g. a repository defined twice). */
  warnings: TdlProblem[];
}

/**
 * Parses and validates a TDL: Oz's schema (tdl.rng) and the checks of Oz's TDL.py, every
 * problem collected and thrown at once as an OzkitErrorList of BAD_TDL errors with
 * file:line:col. Returns the normalized template (the root password is referenced, not copied).
 */
export function parseTdl(bytes: Uint8Array, options: ParseTdlOptions): ParsedTdl {
  const label = options.label ?? options.path;
  let source: SourceText;
  try {
    source = decodeSource(bytes);
  } catch (error) {
    if (error instanceof SourceDecodeError)
      throw new OzkitErrorList([
        locatedError(error.message, { file: label, ...(error.position ? { line: error.position.line, column: error.position.column } : {}) }),
      ]);
    throw error;
  }
  let root: XmlElement;
  try {
    root = readXml(source);
  } catch (error) {
    if (error instanceof SourceSyntaxError) {
      const p = source.locate(error.offset);
      throw new OzkitErrorList([locatedError(error.message, { file: label, line: p.line, column: p.column })]);
    }
    throw error;
  }
  const problems = new ProblemCollector(label, source);
  const reader = new TemplateReader(problems, {
    path: options.path,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    cwd: options.cwd ?? process.cwd(),
    checkLocalFiles: options.checkLocalFiles ?? true,
    source,
  });
  const template = reader.template(root);
  if (!template && !problems.hasErrors) problems.error(root.offset, 'the template is incomplete');
  if (problems.hasErrors || !template) throw problems.toError();
  return { template, warnings: problems.warningList() };
}

interface ReaderContext {
  path: string;
  sha256: string;
  cwd: string;
  checkLocalFiles: boolean;
  source: SourceText;
}

class TemplateReader {
  constructor(
    private readonly problems: ProblemCollector,
    private readonly ctx: ReaderContext,
  ) {}

  template(root: XmlElement): Template | undefined {
    const p = this.problems;
    if (root.name !== 'template') {
      p.error(root.offset, `the root element must be <template>, not <${root.name}>`);
      return undefined;
    }
    if (root.namespace) p.error(root.offset, `<template> must not be in a namespace (xmlns=${quote(root.namespace)})`);
    const attrs = attributesOf(root, ['version'], [], p);
    const versionAttr = attrs.get('version');
    let version: string | undefined;
    if (versionAttr) {
      // The schema compares the value as an XML token: surrounding spaces do not count.
      version = versionAttr.value.trim();
      if (version !== TDL_VERSION) p.error(versionAttr.offset, `TDL version ${quote(versionAttr.value)} is not supported: this ozkit reads version ${TDL_VERSION}`);
    }
    const kids = childrenByName(
      root,
      {
        name: { required: true },
        os: { required: true },
        description: {},
        packages: {},
        files: {},
        commands: {},
        precommands: {},
        repositories: {},
        disk: {},
      },
      p,
    );
    const name = this.requiredText(first(kids, 'name'));
    const description = this.optionalText(first(kids, 'description'));
    const os = this.os(first(kids, 'os'));
    const packagesEl = first(kids, 'packages');
    const filesEl = first(kids, 'files');
    const commandsEl = first(kids, 'commands');
    const precommandsEl = first(kids, 'precommands');
    const repositoriesEl = first(kids, 'repositories');
    const diskEl = first(kids, 'disk');
    const template: Template = {
      source: { path: this.ctx.path, sha256: this.ctx.sha256 },
      ...(version !== undefined ? { version } : {}),
      name: name ?? '',
      ...(description !== undefined ? { description } : {}),
      os: os as Template['os'],
      disk: { sizeBytes: diskEl ? this.disk(diskEl) : DEFAULT_DISK_BYTES },
      packages: packagesEl ? this.packages(packagesEl) : [],
      repositories: repositoriesEl ? this.repositories(repositoriesEl) : [],
      files: filesEl ? this.files(filesEl) : [],
      commands: commandsEl ? this.commands(commandsEl) : [],
      precommands: precommandsEl ? this.commands(precommandsEl) : [],
    };
    return os ? template : undefined;
  }

  /** A text element that must not be empty; surrounding whitespace is dropped. */
  private requiredText(el: XmlElement | undefined): string | undefined {
    if (!el) return undefined;
    attributesOf(el, [], [], this.problems);
    const text = textOf(el, this.problems).trim();
    if (text === '') {
      this.problems.error(el.offset, `<${el.name}> is empty`);
      return undefined;
    }
    return text;
  }

  /** A text element that may be absent or empty (empty counts as absent, as in Oz). */
  private optionalText(el: XmlElement | undefined): string | undefined {
    if (!el) return undefined;
    attributesOf(el, [], [], this.problems);
    const text = textOf(el, this.problems).trim();
    return text === '' ? undefined : text;
  }

  private os(el: XmlElement | undefined): Template['os'] | undefined {
    if (!el) return undefined;
    const p = this.problems;
    attributesOf(el, [], [], p);
    const kids = childrenByName(
      el,
      {
        name: { required: true },
        version: { required: true },
        arch: { required: true },
        install: { required: true },
        kernelparam: {},
        rootpw: {},
        key: {},
        icicle: {},
      },
      p,
    );
    const name = this.requiredText(first(kids, 'name'));
    const version = this.requiredText(first(kids, 'version'));
    const arch = this.arch(first(kids, 'arch'));
    const installEl = first(kids, 'install');
    const install = installEl ? this.install(installEl) : undefined;
    const rootpw = this.rootpw(first(kids, 'rootpw'));
    const key = this.optionalText(first(kids, 'key'));
    const kernelparam = this.optionalText(first(kids, 'kernelparam'));
    const icicleEl = first(kids, 'icicle');
    let icicle: { extraCommand: string } | undefined;
    if (icicleEl) {
      attributesOf(icicleEl, [], [], p);
      const icicleKids = childrenByName(icicleEl, { extra_command: { required: true } }, p);
      const extraCommand = this.optionalText(first(icicleKids, 'extra_command'));
      if (extraCommand !== undefined) icicle = { extraCommand };
    }
    if (name && /^windows/i.test(name) && key === undefined) p.warn(el.offset, 'Windows installs need a product <key> (Oz refuses them without one)');
    if ((arch === 'ppc64' || arch === 'ppc64le') && install?.type === 'iso')
      p.warn(installEl!.offset, `${arch} guests install from a url (Oz refuses iso installs for them)`);
    if (!install) return undefined;
    return {
      name: name ?? '',
      version: version ?? '',
      arch: arch ?? 'x86_64',
      install,
      ...(rootpw ? { rootpw } : {}),
      ...(key !== undefined ? { key } : {}),
      ...(kernelparam !== undefined ? { kernelparam } : {}),
      ...(icicle ? { icicle } : {}),
    };
  }

  private arch(el: XmlElement | undefined): Arch | undefined {
    if (!el) return undefined;
    attributesOf(el, [], [], this.problems);
    const text = textOf(el, this.problems);
    if ((ARCHES as readonly string[]).includes(text)) return text as Arch;
    const spaced = (ARCHES as readonly string[]).includes(text.trim()) ? ' (without spaces around it)' : '';
    this.problems.error(el.offset, `<arch> must be one of ${ARCHES.join(', ')}${spaced}, not ${quote(text)}`);
    return undefined;
  }

  private rootpw(el: XmlElement | undefined): SecretReference | undefined {
    if (!el) return undefined;
    attributesOf(el, [], [], this.problems);
    // Never quote the password in a message.
    const text = textOf(el, this.problems).trim();
    if (text === '') {
      this.problems.warn(el.offset, '<rootpw> is empty and ignored: a random root password will be generated');
      return undefined;
    }
    if (/[\n\t]/.test(text)) {
      // It could not be typed at a login prompt; ks-render refuses it too, this says so earlier.
      this.problems.error(el.offset, '<rootpw> must be one line without tabs');
      return undefined;
    }
    const at = this.ctx.source.locate(el.offset);
    return { set: true, file: this.ctx.path, line: at.line, column: at.column };
  }

  private install(el: XmlElement): InstallSource | undefined {
    const p = this.problems;
    const attrs = attributesOf(el, ['type'], [], p);
    const typeAttr = attrs.get('type');
    let type: 'iso' | 'url' | undefined;
    if (!typeAttr) p.error(el.offset, '<install> has no type attribute: use type="iso" or type="url"');
    else if (typeAttr.value === 'iso' || typeAttr.value === 'url') type = typeAttr.value;
    else p.error(typeAttr.offset, `<install> type must be "iso" or "url", not ${quote(typeAttr.value)}`);
    const rules: Record<string, ChildRule> =
      type === 'url'
        ? { url: { required: true }, extras: {} }
        : type === 'iso'
          ? { iso: { required: true }, md5sum: {}, sha1sum: {}, sha256sum: {}, extras: {} }
          : { url: {}, iso: {}, md5sum: {}, sha1sum: {}, sha256sum: {}, extras: {} };
    const kids = childrenByName(el, rules, p);
    const extrasEl = first(kids, 'extras');
    const extras = extrasEl ? this.extras(extrasEl, type) : [];
    if (type === 'url') {
      const url = this.installLocation(first(kids, 'url'), 'url');
      if (url === undefined) return undefined;
      for (const host of urlHosts(url))
        if (isLoopbackHost(host)) {
          p.warn(first(kids, 'url')!.offset, `the installer runs in the guest, where ${host} is the guest itself: under QEMU user networking the host is 10.0.2.2`);
          break;
        }
      return { type: 'url', url };
    }
    if (type !== 'iso') return undefined;
    const iso = this.installLocation(first(kids, 'iso'), 'iso');
    let checksum: { kind: ChecksumKind; value: string } | undefined;
    const given = (['md5', 'sha1', 'sha256'] as ChecksumKind[]).filter((k) => kids.has(`${k}sum`));
    const sums = given.map((k) => first(kids, `${k}sum`)!).sort((a, b) => a.offset - b.offset);
    if (sums.length > 1)
      for (const extra of sums.slice(1))
        p.error(
          extra.offset,
          `<${extra.name}>: only one of <md5sum>, <sha1sum> and <sha256sum> may be given (first: <${sums[0].name}> at ${p.where(sums[0].offset)})`,
        );
    else if (sums.length === 1) {
      const sumEl = sums[0];
      const kind = given[0];
      attributesOf(sumEl, [], [], p);
      const text = textOf(sumEl, p).trim();
      if (text === '') p.warn(sumEl.offset, `<${sumEl.name}> is empty and ignored: the media will not be verified`);
      else {
        const parsed = parseChecksum(kind, text);
        if (parsed.ok) checksum = parsed.value === undefined ? undefined : { kind, value: parsed.value };
        else p.error(sumEl.offset, parsed.message);
      }
    }
    if (iso === undefined) return undefined;
    return { type: 'iso', iso, ...(checksum ? { checksum } : {}), extras };
  }

  /** `<iso>` or `<url>`: an http(s) or file URL; `<iso>` may also be an absolute path. */
  private installLocation(el: XmlElement | undefined, what: 'iso' | 'url'): string | undefined {
    const text = this.requiredText(el);
    if (text === undefined || !el) return undefined;
    const scheme = urlScheme(text);
    if (scheme === 'http' || scheme === 'https' || scheme === 'file') return text;
    if (what === 'iso' && text.startsWith('/')) return text;
    this.problems.error(
      el.offset,
      what === 'iso'
        ? `<iso> must be an http://, https:// or file:// URL or an absolute path, not ${quote(text)}`
        : `<url> must be an http://, https:// or file:// URL, not ${quote(text)}`,
    );
    return undefined;
  }

  private extras(el: XmlElement, type: 'iso' | 'url' | undefined): IsoExtra[] {
    const p = this.problems;
    attributesOf(el, [], [], p);
    if (type === 'url') p.error(el.offset, '<extras> can only be used with <install type="iso">');
    const kids = childrenByName(el, { directory: { repeat: true }, file: { repeat: true } }, p);
    if (!kids.has('directory') && !kids.has('file')) p.error(el.offset, '<extras> must list at least one <directory> or <file>');
    const out: IsoExtra[] = [];
    // Oz adds every directory, then every file (so a file can replace one inside a directory).
    for (const kind of ['directory', 'file'] as const)
      for (const item of kids.get(kind) ?? []) {
        const attrs = attributesOf(item, ['source', 'destination'], ['source', 'destination'], p);
        if (textOf(item, p).trim() !== '') p.error(item.offset, `<${kind}> in <extras> takes its source and destination as attributes, not text`);
        const source = attrs.get('source')?.value;
        const destination = attrs.get('destination')?.value;
        if (source === '') p.error(item.offset, `<${kind}> in <extras> has an empty source`);
        if (destination === '') p.error(item.offset, `<${kind}> in <extras> has an empty destination`);
        if (source && destination) out.push({ kind, source, destination });
      }
    return out;
  }

  private packages(el: XmlElement): TemplatePackage[] {
    const p = this.problems;
    attributesOf(el, [], [], p);
    const kids = childrenByName(el, { package: { repeat: true } }, p);
    const out: TemplatePackage[] = [];
    for (const item of kids.get('package') ?? []) {
      const attrs = attributesOf(item, ['name'], ['name'], p);
      const inner = childrenByName(item, { repository: {}, file: {}, arguments: {} }, p);
      const name = attrs.get('name')?.value.trim();
      if (name === '') p.error(item.offset, '<package> has an empty name');
      const repository = this.optionalText(first(inner, 'repository'));
      const file = this.optionalText(first(inner, 'file'));
      const args = this.optionalText(first(inner, 'arguments'));
      if (name)
        out.push({
          name,
          ...(repository !== undefined ? { repository } : {}),
          ...(file !== undefined ? { file } : {}),
          ...(args !== undefined ? { arguments: args } : {}),
        });
    }
    return out;
  }

  private repositories(el: XmlElement): TemplateRepository[] {
    const p = this.problems;
    attributesOf(el, [], [], p);
    const kids = childrenByName(el, { repository: { repeat: true } }, p);
    // Oz keeps repositories in a dict: a name given twice keeps its first place and its last definition.
    const byName = new Map<string, { repo: TemplateRepository; offset: number }>();
    for (const item of kids.get('repository') ?? []) {
      const attrs = attributesOf(item, ['name'], ['name'], p);
      const inner = childrenByName(item, { url: { required: true }, signed: {}, persisted: {}, sslverify: {} }, p);
      const name = attrs.get('name')?.value.trim();
      if (name === '') p.error(item.offset, '<repository> has an empty name');
      const urlEl = first(inner, 'url');
      const url = this.requiredText(urlEl);
      if (url !== undefined && urlEl)
        for (const host of urlHosts(url))
          if (isLoopbackHost(host)) {
            p.error(
              urlEl.offset,
              `repository ${quote(name ?? '')} is on ${host}: the guest must reach it, and there ${host} is the guest itself (under QEMU user networking the host is 10.0.2.2)`,
            );
            break;
          }
      const signed = this.bool(first(inner, 'signed'), false);
      const persisted = this.bool(first(inner, 'persisted'), true);
      const sslverify = this.bool(first(inner, 'sslverify'), false);
      if (!name || url === undefined) continue;
      const repo = { name, url, signed, persisted, sslverify };
      const earlier = byName.get(name);
      if (earlier) {
        p.warn(item.offset, `repository ${quote(name)} is defined again (first at ${p.where(earlier.offset)}): the last definition wins, as in Oz`);
        earlier.repo = repo;
      } else byName.set(name, { repo, offset: item.offset });
    }
    return [...byName.values()].map((v) => v.repo);
  }

  /** Oz's bool: true/false/yes/no in any case, nothing around it. */
  private bool(el: XmlElement | undefined, fallback: boolean): boolean {
    if (!el) return fallback;
    attributesOf(el, [], [], this.problems);
    const text = textOf(el, this.problems);
    const v = text.toLowerCase();
    if (v === 'true' || v === 'yes') return true;
    if (v === 'false' || v === 'no') return false;
    const spaced = ['true', 'yes', 'false', 'no'].includes(v.trim()) ? ' (without spaces around it)' : '';
    this.problems.error(el.offset, `<${el.name}> must be true, false, yes or no (any case)${spaced}, not ${quote(text)}`);
    return fallback;
  }

  private files(el: XmlElement): TemplateFile[] {
    const p = this.problems;
    attributesOf(el, [], [], p);
    const kids = childrenByName(el, { file: { repeat: true } }, p);
    // Oz keeps files in a dict too: the last content for a path wins.
    const byName = new Map<string, { file: TemplateFile; offset: number }>();
    for (const item of kids.get('file') ?? []) {
      const attrs = attributesOf(item, ['name', 'type'], ['name'], p);
      const name = attrs.get('name')?.value;
      const content = readContent(item, attrs.get('type'), false, this.problems, this.ctx);
      if (name !== undefined && !name.startsWith('/')) p.error(attrs.get('name')!.offset, `<file> name must be an absolute path in the guest, not ${quote(name)}`);
      if (name === undefined || !name.startsWith('/') || !content) continue;
      const file = { name, ...content };
      const earlier = byName.get(name);
      if (earlier) {
        p.warn(item.offset, `file ${quote(name)} is given again (first at ${p.where(earlier.offset)}): the last content wins, as in Oz`);
        earlier.file = file;
      } else byName.set(name, { file, offset: item.offset });
    }
    return [...byName.values()].map((v) => v.file);
  }

  private commands(el: XmlElement): TemplateCommand[] {
    const p = this.problems;
    attributesOf(el, [], [], p);
    const kids = childrenByName(el, { command: { repeat: true } }, p);
    const items = kids.get('command') ?? [];
    const parsed: { command: TemplateCommand | undefined; position: number | undefined; offset: number; hasPosition: boolean }[] = [];
    for (const item of items) {
      const attrs = attributesOf(item, ['name', 'type', 'position'], ['name'], p);
      const name = attrs.get('name')?.value;
      const content = readContent(item, attrs.get('type'), true, this.problems, this.ctx);
      const positionAttr = attrs.get('position');
      let position: number | undefined;
      if (positionAttr) {
        const raw = positionAttr.value;
        if (!/^[0-9]+$/.test(raw)) p.error(positionAttr.offset, `<command> position must be a whole number from 1 up, not ${quote(raw)}`);
        else position = raw.length > 15 ? Number.MAX_SAFE_INTEGER : Number(raw);
      }
      parsed.push({
        command: name !== undefined && content ? { name, ...content, ...(position !== undefined ? { position } : {}) } : undefined,
        position,
        offset: item.offset,
        hasPosition: positionAttr !== undefined,
      });
    }
    const positioned = parsed.filter((c) => c.hasPosition);
    if (positioned.length > 0 && positioned.length < parsed.length) {
      for (const c of parsed.filter((c) => !c.hasPosition))
        p.error(c.offset, `<command> has no position, but other commands in <${el.name}> do: give every command a position, or none`);
    } else if (positioned.length > 0) {
      const n = parsed.length;
      const seen = new Map<number, number>();
      for (const c of parsed) {
        if (c.position === undefined) continue;
        const earlier = seen.get(c.position);
        if (earlier !== undefined) p.error(c.offset, `<command> position ${c.position} is used twice (first at ${p.where(earlier)})`);
        else seen.set(c.position, c.offset);
        if (c.position < 1 || c.position > n)
          p.error(
            c.offset,
            `<command> position ${c.position} is out of range: the ${n} command${n === 1 ? '' : 's'} of <${el.name}> must be numbered 1 to ${n}, without gaps`,
          );
      }
    }
    const commands = parsed.map((c) => c.command).filter((c): c is TemplateCommand => c !== undefined);
    if (positioned.length > 0) commands.sort((a, b) => (a.position ?? 0) - (b.position ?? 0));
    return commands;
  }

  private disk(el: XmlElement): number {
    const p = this.problems;
    attributesOf(el, [], [], p);
    const kids = childrenByName(el, { size: { required: true } }, p);
    const sizeEl = first(kids, 'size');
    if (!sizeEl) return DEFAULT_DISK_BYTES;
    attributesOf(sizeEl, [], [], p);
    const text = textOf(sizeEl, p);
    if (text === '') {
      // Oz reads an empty <size> as no size at all.
      p.warn(sizeEl.offset, `<size> is empty and ignored: the disk gets the default ${DEFAULT_DISK_BYTES / 2 ** 30} GiB`);
      return DEFAULT_DISK_BYTES;
    }
    const parsed = parseDiskSize(text);
    if (!parsed.ok) {
      p.error(sizeEl.offset, parsed.message);
      return DEFAULT_DISK_BYTES;
    }
    if (parsed.bytes > MAX_QEMU_DISK_BYTES) p.warn(sizeEl.offset, `disk size ${parsed.bytes} bytes is more than QEMU can create (8 EiB): guest-install will fail`);
    return Number(parsed.bytes);
  }
}

function first(groups: Map<string, XmlElement[]>, name: string): XmlElement | undefined {
  return groups.get(name)?.[0];
}
