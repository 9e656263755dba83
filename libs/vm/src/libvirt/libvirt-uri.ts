import { OzkitError } from '@ozkit/errors';

/**
 * A libvirt connection URI (`qemu:///system`, `qemu+ssh://builder@hv2:2222/system?keyfile=…`),
 * taken apart so ozkit can reach the same host for what libvirt does not carry: volume uploads
 * need nothing more, but SSH to the guest goes through a tunnel with the URI's own credentials.
 */
export interface LibvirtUri {
  /** As given; what every `virsh -c` gets. */
  readonly uri: string;
  /** `qemu` */
  readonly driver: string;
  /** `ssh`, `tcp`, `tls`, `unix`, `libssh`, `libssh2` or undefined (local socket). */
  readonly transport: string | undefined;
  readonly user: string | undefined;
  /** Undefined for a local URI. */
  readonly host: string | undefined;
  readonly port: number | undefined;
  /** `/system` or `/session`. */
  readonly path: string;
  readonly params: ReadonlyMap<string, string>;
  /** The hypervisor is another machine (or another sshd on this one): files must be uploaded. */
  readonly remote: boolean;
}

const LOCAL_TRANSPORTS = new Set([undefined, 'unix']);

export function parseLibvirtUri(uri: string): LibvirtUri {
  const trimmed = uri.trim();
  const m = /^([a-z][a-z0-9]*)(?:\+([a-z0-9]+))?:\/\/(?:([^@/?]*)@)?(\[[^\]]*\]|[^/:?]*)?(?::([0-9]+))?(\/[^?]*)?(?:\?(.*))?$/i.exec(trimmed);
  if (!m) throw badUri(uri, 'is not a libvirt URI (e.g. qemu:///system, qemu+ssh://user@host/system)');
  const [, driver, transport, user, rawHost, port, path, query] = m;
  if (driver.toLowerCase() !== 'qemu') throw badUri(uri, `uses the ${driver} driver; ozkit builds with QEMU guests only (qemu:///system, qemu+ssh://…)`);
  const host = rawHost ? rawHost.replace(/^\[|\]$/g, '') : undefined;
  const params = new Map<string, string>();
  for (const pair of (query ?? '').split('&').filter(Boolean)) {
    const eq = pair.indexOf('=');
    const key = decodeURIComponent(eq < 0 ? pair : pair.slice(0, eq));
    params.set(key, eq < 0 ? '' : decodeURIComponent(pair.slice(eq + 1)));
  }
  const t = transport?.toLowerCase();
  const remote = !LOCAL_TRANSPORTS.has(t) && host !== undefined && host !== '';
  if (!LOCAL_TRANSPORTS.has(t) && !remote) throw badUri(uri, `names the ${t} transport but no host`);
  if (remote && t !== 'ssh' && t !== 'libssh' && t !== 'libssh2')
    throw badUri(uri, `uses the ${t} transport; a remote hypervisor needs ssh (qemu+ssh://user@host/system) so ozkit can reach its guests`);
  return {
    uri: trimmed,
    driver: driver.toLowerCase(),
    transport: t,
    user: user ? decodeURIComponent(user) : undefined,
    host: host || undefined,
    port: port ? Number(port) : undefined,
    path: path ?? '/system',
    params,
    remote,
  };
}

function badUri(uri: string, message: string): OzkitError {
  return new OzkitError('USAGE', `libvirt URI "${uri}" ${message}`, {
    hint: 'set --connect, OZKIT_CONNECT or [libvirt] uri to qemu:///system or qemu+ssh://user@host/system',
  });
}
