import { readFileSync, statSync } from 'node:fs';
import { OzkitError, formatLocated } from '@ozkit/errors';
import { SourceDecodeError, SourceSyntaxError, decodeSource, readXml, type XmlElement } from '@ozkit/tdl';

/**
 * The libvirt domain XML oz-install writes (Oz writes one so oz-customize and oz-generate-icicle
 * can find the guest's disk later). It describes the image, and its <metadata> names the build
 * document that holds the key the image accepts; ozkit's guests are transient, so no domain is
 * ever defined from it.
 */
export const OZKIT_METADATA_NS = 'urn:ozkit:oz-compat:1';

export interface DomainDescription {
  name: string;
  /** libvirt's <driver type> names the formats as qemu-img does. */
  disk: { path: string; format: 'raw' | 'qcow2' | 'vmdk' | 'vhdx' | 'vpc'; bus: 'virtio' | 'ide' };
  memoryMiB: number;
  cpus: number;
  /** The build document whose disk.buildKey reaches the guest. */
  document: string;
}

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&apos;').replace(/"/g, '&quot;');

export function domainXml(d: DomainDescription): string {
  return `<domain type='qemu'>
  <name>${escape(d.name)}</name>
  <metadata>
    <ozkit:build xmlns:ozkit='${OZKIT_METADATA_NS}'>
      <ozkit:document>${escape(d.document)}</ozkit:document>
    </ozkit:build>
  </metadata>
  <memory unit='MiB'>${d.memoryMiB}</memory>
  <vcpu>${d.cpus}</vcpu>
  <os>
    <type arch='x86_64'>hvm</type>
    <boot dev='hd'/>
  </os>
  <features>
    <acpi/>
    <apic/>
  </features>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='${d.disk.format}' discard='unmap'/>
      <source file='${escape(d.disk.path)}'/>
      <target dev='${d.disk.bus === 'ide' ? 'hda' : 'vda'}' bus='${d.disk.bus}'/>
    </disk>
    <interface type='user'>
      <model type='virtio'/>
    </interface>
    <serial type='pty'>
      <target port='0'/>
    </serial>
    <console type='pty'>
      <target type='serial' port='0'/>
    </console>
  </devices>
</domain>
`;
}

/** Oz refuses a libvirt XML over 5 MiB (it should be a few KiB). */
const MAX_XML_BYTES = 5 * 1024 * 1024;

const childElements = (el: XmlElement, name: string) => el.children.filter((c): c is XmlElement => c.kind === 'element' && c.name.replace(/^.*:/, '') === name);
const attr = (el: XmlElement | undefined, name: string) => el?.attributes.find((a) => a.name === name)?.value;
const text = (el: XmlElement) =>
  el.children
    .map((c) => (c.kind === 'text' ? c.text : ''))
    .join('')
    .trim();

/** The disk and the ozkit build document a domain XML (from oz-install) names. */
export function readDomainXml(path: string): { disk: { path: string; format: 'raw' | 'qcow2' }; document: string } {
  let bytes: Buffer;
  try {
    if (statSync(path).size > MAX_XML_BYTES) throw new OzkitError('BAD_DOCUMENT', `${path}: libvirt XML file is too big (over 5 MiB)`);
    bytes = readFileSync(path);
  } catch (error) {
    if (error instanceof OzkitError) throw error;
    throw new OzkitError('INPUT_MISSING', `${path}: cannot read the libvirt XML: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let root: XmlElement;
  try {
    const source = decodeSource(bytes);
    try {
      root = readXml(source);
    } catch (error) {
      if (error instanceof SourceSyntaxError) throw new OzkitError('BAD_DOCUMENT', formatLocated(error.message, { file: path, ...source.locate(error.offset) }));
      throw error;
    }
  } catch (error) {
    if (error instanceof SourceDecodeError) throw new OzkitError('BAD_DOCUMENT', `${path}: ${error.message}`);
    throw error;
  }
  const bad = (message: string) => new OzkitError('BAD_DOCUMENT', `${path}: ${message}`, { hint: 'give the libvirt XML oz-install wrote for this image' });
  if (root.name !== 'domain') throw bad(`not a libvirt domain (root element <${root.name}>)`);
  const devices = childElements(root, 'devices')[0];
  const disk = devices && childElements(devices, 'disk').find((d) => (attr(d, 'device') ?? 'disk') === 'disk');
  const file = disk && attr(childElements(disk, 'source')[0], 'file');
  if (!disk || !file) throw bad('no <disk device="disk"> with a <source file=…>');
  const format = attr(childElements(disk, 'driver')[0], 'type') ?? 'raw';
  if (format !== 'raw' && format !== 'qcow2') throw bad(`disk format ${format}: ozkit works on raw and qcow2 images`);
  const build = childElements(root, 'metadata').flatMap((m) => childElements(m, 'build').filter((b) => b.namespace === OZKIT_METADATA_NS));
  const document = build[0] && childElements(build[0], 'document')[0];
  if (!document || text(document) === '')
    throw bad("no ozkit build metadata: written by Oz itself, not by ozkit's oz-install, so the key that reaches the guest is unknown");
  return { disk: { path: file, format }, document: text(document) };
}
