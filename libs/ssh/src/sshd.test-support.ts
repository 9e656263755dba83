import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, readFileSync, chmodSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needsPrograms } from '../../../test/support/missing-program.js';

needsPrograms('/usr/sbin/sshd', 'ssh-keygen');

/** A free TCP port on 127.0.0.1 (closed again before returning). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

export interface KeyPair {
  privateKey: string;
  publicKey: string;
}

export function makeKeyPair(dir: string, name: string, type = 'ed25519'): KeyPair {
  const privateKey = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', `ozkit-test-${name}`, '-f', privateKey]);
  return { privateKey, publicKey: privateKey + '.pub' };
}

export interface TestSshd {
  port: number;
  dir: string;
  clientKey: KeyPair;
  hostKey: KeyPair;
  stop(): Promise<void>;
}

/**
 * A real OpenSSH server on 127.0.0.1 with a temporary config, host key and authorized_keys,
 * run in the foreground (-D) so the test owns and ends it.
 */
export async function startSshd(options: { port?: number; dir?: string; clientKey?: KeyPair; hostKey?: KeyPair } = {}): Promise<TestSshd> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'ozkit-sshd-'));
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const clientKey = options.clientKey ?? makeKeyPair(dir, 'client');
  const hostKey = options.hostKey ?? makeKeyPair(dir, `host-${Date.now()}`);
  const authorized = join(dir, 'authorized_keys');
  writeFileSync(authorized, readFileSync(clientKey.publicKey));
  chmodSync(authorized, 0o600);
  const port = options.port ?? (await freePort());
  const config = join(dir, `sshd_config.${port}`);
  writeFileSync(
    config,
    [
      `ListenAddress 127.0.0.1`,
      `HostKey ${hostKey.privateKey}`,
      `AuthorizedKeysFile ${authorized}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'PidFile none',
      'Subsystem sftp internal-sftp',
      'LogLevel ERROR',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', config, '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  // LogLevel ERROR prints nothing when ready, so poll the port until it accepts.
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`sshd exited at start: ${stderr}`);
    if (await accepts(port)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`sshd did not listen on ${port}: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    dir,
    clientKey,
    hostKey,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.connect(port, '127.0.0.1');
  });
}
