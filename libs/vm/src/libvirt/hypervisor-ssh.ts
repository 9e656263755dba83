import { createServer, type Server, type Socket } from 'node:net';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import ssh2 from 'ssh2';
import { OzkitError } from '@ozkit/errors';
import type { LibvirtUri } from './libvirt-uri.js';

const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

/**
 * An SSH connection to a remote hypervisor with the credentials its libvirt URI uses (`keyfile=`,
 * else the agent or the default keys; `no_verify=1` skips the known_hosts check as virsh does).
 * It carries what libvirt does not: the tunnel to a guest's forwarded SSH port on the
 * hypervisor's loopback, the serial console file as it grows, and file removals.
 */
export class HypervisorSsh {
  private readonly client = new ssh2.Client();
  private readonly servers = new Set<Server>();
  private readonly sockets = new Set<Socket>();
  private closed = false;

  private constructor(readonly uri: LibvirtUri) {}

  static async connect(uri: LibvirtUri, signal?: AbortSignal): Promise<HypervisorSsh> {
    const ssh = new HypervisorSsh(uri);
    await ssh.open(signal);
    return ssh;
  }

  private open(signal?: AbortSignal): Promise<void> {
    const { uri } = this;
    const keyfile = uri.params.get('keyfile');
    const key = keyfile ?? DEFAULT_KEYS.map((k) => join(homedir(), '.ssh', k)).find((k) => existsSync(k));
    const where = `${uri.user ?? 'root'}@${uri.host}:${uri.port ?? 22}`;
    return new Promise((resolve, reject) => {
      const fail = (error: Error) =>
        reject(
          new OzkitError('HYPERVISOR_UNREACHABLE', `cannot open SSH to the hypervisor ${where} (${uri.uri}): ${error.message}`, {
            hint: 'the same credentials virsh uses: keyfile= in the URI, the SSH agent, or ~/.ssh/id_ed25519',
          }),
        );
      const onAbort = () => {
        this.client.end();
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.client.once('ready', () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      this.client.once('error', (error) => {
        signal?.removeEventListener('abort', onAbort);
        fail(error);
      });
      this.client.connect({
        host: uri.host,
        port: uri.port ?? 22,
        username: uri.user ?? process.env.USER ?? 'root',
        ...(key ? { privateKey: readFileSync(key) } : {}),
        ...(process.env.SSH_AUTH_SOCK ? { agent: process.env.SSH_AUTH_SOCK } : {}),
        readyTimeout: 30_000,
        hostVerifier: (blob: Buffer) => uri.params.get('no_verify') === '1' || knownHost(uri.host!, uri.port ?? 22, blob),
      });
    });
  }

  /** A loopback port on this machine that leads to `remotePort` on the hypervisor's loopback. */
  async tunnel(remotePort: number): Promise<number> {
    const server = createServer((socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      this.client.forwardOut('127.0.0.1', 0, '127.0.0.1', remotePort, (error, stream) => {
        if (error) {
          socket.destroy();
          return;
        }
        socket.pipe(stream).pipe(socket);
        stream.once('close', () => socket.destroy());
        socket.once('error', () => stream.destroy());
      });
    });
    this.servers.add(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return (server.address() as { port: number }).port;
  }

  /** Runs a command on the hypervisor; resolves with its stdout (rejects on a non-zero exit). */
  exec(command: string): Promise<string> {
    return new Promise((resolve, reject) => {
      this.client.exec(command, (error, channel) => {
        if (error) return reject(error);
        let out = '';
        let err = '';
        channel.on('data', (d: Buffer) => (out += d.toString()));
        channel.stderr.on('data', (d: Buffer) => (err += d.toString()));
        channel.once('close', (code: number | null) =>
          code === 0
            ? resolve(out)
            : reject(new OzkitError('IO', `on the hypervisor ${this.uri.host}: ${command.split(' ')[0]} failed: ${err.trim() || `exit ${code}`}`)),
        );
      });
    });
  }

  /** Appends a remote file to a local one as it grows, until stopped (`tail -F`). */
  follow(remotePath: string, localPath: string): () => void {
    const out = createWriteStream(localPath, { flags: 'w', mode: 0o600 });
    let channel: ssh2.ClientChannel | undefined;
    let stopped = false;
    this.client.exec(`exec tail -c +1 -F ${shellWord(remotePath)} 2>/dev/null`, (error, ch) => {
      if (error || stopped) {
        ch?.close();
        out.end();
        return;
      }
      channel = ch;
      ch.pipe(out);
    });
    return () => {
      stopped = true;
      channel?.signal('KILL');
      channel?.close();
      setTimeout(() => out.end(), 200).unref();
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const socket of this.sockets) socket.destroy();
    for (const server of this.servers) server.close();
    this.client.end();
  }
}

/** The host key is one `ssh-keygen -F` finds for the host in ~/.ssh/known_hosts. */
function knownHost(host: string, port: number, blob: Buffer): boolean {
  const name = port === 22 ? host : `[${host}]:${port}`;
  const file = join(homedir(), '.ssh', 'known_hosts');
  if (!existsSync(file)) return false;
  try {
    const found = execFileSync('ssh-keygen', ['-F', name, '-f', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const wanted = blob.toString('base64');
    return found.split('\n').some((line) => !line.startsWith('#') && line.split(/\s+/).includes(wanted));
  } catch {
    return false;
  }
}

export function shellWord(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
