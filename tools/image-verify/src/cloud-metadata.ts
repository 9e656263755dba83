import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { OzkitError } from '@ozkit/errors';
import { requireProgram } from '@ozkit/qemu';

/** How the guest gets its metadata: an OpenStack config drive, or a NoCloud seed. */
export type MetadataKind = 'config-drive' | 'nocloud';

/** Who the guest is told it is for one run: random, so a value left from the build cannot pass a check. */
export interface CloudIdentity {
  hostname: string;
  /** OpenStack's uuid / NoCloud's instance-id. */
  instanceId: string;
  /** The "user's" key the cloud injects (an OpenSSH public key line). */
  publicKey: string;
}

/**
 * The guest NIC's MAC address: QEMU's default for the first NIC, which both user-mode backends
 * use (neither sets one). network_data.json names the link by it, as Nova does.
 */
export const GUEST_MAC = '52:54:00:12:34:56';

export function randomIdentity(publicKey: string): CloudIdentity {
  return { hostname: `ozkit-verify-${randomBytes(3).toString('hex')}`, instanceId: randomUUID(), publicKey: publicKey.trim() };
}

/** Volume labels cloud-init looks for. */
export const METADATA_LABEL: Record<MetadataKind, string> = { 'config-drive': 'config-2', nocloud: 'cidata' };

const USER_DATA = '#cloud-config\n# image-verify: no configuration beyond the metadata, as a plain cloud instance gets.\n';

/** The files of an OpenStack config drive (paths relative to its root), as Nova writes them. */
export function configDriveFiles(identity: CloudIdentity): Record<string, string> {
  const meta = {
    uuid: identity.instanceId,
    hostname: identity.hostname,
    name: identity.hostname,
    availability_zone: 'nova',
    launch_index: 0,
    project_id: 'ozkit-image-verify',
    public_keys: { 'ozkit-verify': identity.publicKey },
    keys: [{ name: 'ozkit-verify', type: 'ssh', data: identity.publicKey }],
    meta: {},
  };
  const network = {
    links: [{ id: 'tap0', type: 'phy', ethernet_mac_address: GUEST_MAC, mtu: 1500 }],
    networks: [{ id: 'network0', type: 'ipv4_dhcp', link: 'tap0', network_id: randomUUID() }],
    services: [],
  };
  const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;
  return {
    'openstack/latest/meta_data.json': json(meta),
    'openstack/latest/network_data.json': json(network),
    'openstack/latest/user_data': USER_DATA,
    'openstack/latest/vendor_data.json': json({}),
  };
}

/** The files of a NoCloud seed (cloud-init's `cidata` volume). */
export function nocloudFiles(identity: CloudIdentity): Record<string, string> {
  return {
    'meta-data': `instance-id: ${identity.instanceId}\nlocal-hostname: ${identity.hostname}\npublic-keys:\n  - ${identity.publicKey}\n`,
    'user-data': USER_DATA,
  };
}

export function metadataFiles(kind: MetadataKind, identity: CloudIdentity): Record<string, string> {
  return kind === 'config-drive' ? configDriveFiles(identity) : nocloudFiles(identity);
}

/**
 * Writes the metadata files under `tree` and makes the ISO 9660 volume of them with xorriso
 * (Joliet and Rock Ridge, so the lower-case long names stay as they are).
 */
export async function writeMetadataIso(kind: MetadataKind, identity: CloudIdentity, tree: string, iso: string, signal?: AbortSignal): Promise<string> {
  const xorriso = requireProgram('xorriso', 'xorriso');
  for (const [path, text] of Object.entries(metadataFiles(kind, identity))) {
    await mkdir(dirname(join(tree, path)), { recursive: true });
    await writeFile(join(tree, path), text);
  }
  const result = await execa(xorriso, ['-as', 'mkisofs', '-quiet', '-V', METADATA_LABEL[kind], '-J', '-R', '-o', iso, tree], {
    reject: false,
    ...(signal ? { cancelSignal: signal } : {}),
  });
  if (result.exitCode !== 0)
    throw new OzkitError('IO', `xorriso could not write the ${kind} volume ${iso}: ${String(result.stderr).trim().split('\n').pop() ?? `exit ${result.exitCode}`}`);
  return iso;
}
