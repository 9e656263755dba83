import { createServer, type Server as NetServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import ssh2 from 'ssh2';
import { OzkitError } from '@ozkit/errors';
import { HostKeyPin, SshSession, waitForSsh } from './index.js';

// In-process servers for the failures a real sshd will not produce on demand.
const clientKey = ssh2.utils.generateKeyPairSync('ed25519');
const hostKey = ssh2.utils.generateKeyPairSync('ed25519');
const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

function listen(server: NetServer | ssh2.Server): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      closers.push(() => new Promise((r) => server.close(() => r())));
      resolve((server.address() as { port: number }).port);
    });
  });
}

/** An SSH server that accepts the client key and hands each exec to `onExec`. */
function sshServer(onExec: (accept: () => ssh2.ServerChannel, client: ssh2.Connection) => void): ssh2.Server {
  const server = new ssh2.Server({ hostKeys: [hostKey.private] }, (client) => {
    closers.push(async () => void client.end());
    client.on('error', () => undefined);
    client.on('authentication', (ctx) => (ctx.method === 'publickey' ? ctx.accept() : ctx.reject(['publickey'])));
    client.on('ready', () => {
      client.on('session', (accept) => {
        const session = accept();
        session.on('exec', (acceptExec) => onExec(() => acceptExec(), client));
      });
    });
  });
  return server;
}

const options = (port: number) => ({ host: '127.0.0.1', port, privateKey: Buffer.from(clientKey.private), hostKeys: new HostKeyPin() });

describe('SshSession failure cases', () => {
  it('times out a server that accepts TCP but never speaks SSH', async () => {
    const sockets: import('node:net').Socket[] = [];
    const silent = createServer((s) => sockets.push(s));
    const port = await listen(silent);
    closers.push(async () => sockets.forEach((s) => s.destroy()));
    const error = await SshSession.connect({ ...options(port), handshakeTimeoutMs: 800 }).catch((e: unknown) => e);
    expect((error as OzkitError).code).toBe('TIMEOUT');
    expect((error as OzkitError).details?.reason).toBe('timeout');
  });

  it('keeps waiting while a forwarded port accepts and drops connections (QEMU before sshd is up)', async () => {
    const dropper = createServer((s) => s.destroy());
    const port = await listen(dropper);
    const reasons: string[] = [];
    const error = await waitForSsh({ ...options(port), timeoutMs: 1500, initialDelayMs: 100, onAttempt: (_n, e) => reasons.push(String(e.details?.reason)) }).catch(
      (e: unknown) => e,
    );
    expect((error as OzkitError).code).toBe('TIMEOUT');
    expect(reasons.length).toBeGreaterThan(1);
    expect(reasons.every((r) => r === 'closed' || r === 'network')).toBe(true);
  });

  it('reports a connection lost in the middle of a command, with the output so far', async () => {
    const server = sshServer((accept, client) => {
      const channel = accept();
      channel.stderr.write('ozkit-pgid=4242\n');
      channel.write('halfway there\n');
      setTimeout(() => client.end(), 200);
    });
    const port = await listen(server);
    const session = await SshSession.connect(options(port));
    const error = await session.exec('long-job', { timeoutMs: 10_000 }).catch((e: unknown) => e);
    expect((error as OzkitError).code).toBe('NETWORK');
    expect((error as OzkitError).message).toMatch(/lost while running: long-job/);
    expect((error as OzkitError).details?.tail).toEqual(['halfway there']);
    await session.close();
  });

  it('returns the signal name for a command killed by a signal', async () => {
    const server = sshServer((accept) => {
      const channel = accept();
      channel.exit('KILL', false, 'killed');
      channel.end();
    });
    const port = await listen(server);
    const session = await SshSession.connect(options(port));
    try {
      const result = await session.exec('x', { timeoutMs: 10_000 });
      expect(result.exitCode).toBeNull();
      expect(result.signal).toMatch(/^(SIG)?KILL$/);
    } finally {
      await session.close();
    }
  });
});
