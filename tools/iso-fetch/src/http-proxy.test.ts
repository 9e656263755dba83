import http from 'node:http';
import https from 'node:https';
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '@ozkit/log';
import { download, fetchText } from './http-download.js';
import { proxyFor } from './http-proxy.js';
import { MediaServer } from './fixtures/media-server.test-support.js';

/** A forwarding HTTP proxy on 127.0.0.1 that records what it was asked. */
function startProxy(seen: string[]): Promise<http.Server> {
  const proxy = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const target = new URL(req.url!);
    const upstream = http.request(
      { host: target.hostname, port: target.port, path: target.pathname + target.search, method: req.method, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
        // Like a real proxy: an upstream cut mid-body cuts the client connection too.
        up.on('close', () => {
          if (!up.complete) res.destroy();
        });
      },
    );
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  proxy.on('connect', (req, socket) => {
    seen.push(`CONNECT ${req.url}`);
    const [host, port] = req.url!.split(':');
    const up = net.connect(Number(port), host, () => {
      socket.write('HTTP/1.1 200 Connection established\r\n\r\n');
      up.pipe(socket);
      socket.pipe(up);
    });
    up.on('error', () => socket.destroy());
  });
  return new Promise((resolve) => proxy.listen(0, '127.0.0.1', () => resolve(proxy)));
}

const server = new MediaServer();
let proxy: http.Server;
const seen: string[] = [];
let dir: string;
const saved = { http_proxy: process.env.http_proxy, no_proxy: process.env.no_proxy };

beforeAll(async () => {
  await server.start();
  proxy = await startProxy(seen);
  dir = mkdtempSync(join(tmpdir(), 'ozkit-proxy-'));
});
afterAll(async () => {
  process.env.http_proxy = saved.http_proxy;
  process.env.no_proxy = saved.no_proxy;
  if (saved.http_proxy === undefined) delete process.env.http_proxy;
  if (saved.no_proxy === undefined) delete process.env.no_proxy;
  proxy.closeAllConnections();
  await new Promise((r) => proxy.close(r));
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('proxies', () => {
  it('chooses the proxy from http_proxy/https_proxy and honours no_proxy', () => {
    const env = { http_proxy: 'proxy.corp:3128', HTTPS_PROXY: 'http://user:pw@proxy.corp:8080', no_proxy: 'localhost,.internal,mirror.example.org:8443' };
    expect(proxyFor(new URL('http://mirror.example/x.iso'), env)?.toString()).toBe('http://proxy.corp:3128/');
    expect(proxyFor(new URL('https://mirror.example/x.iso'), env)?.username).toBe('user');
    expect(proxyFor(new URL('http://repo.internal/x'), env)).toBeUndefined();
    expect(proxyFor(new URL('http://localhost/x'), env)).toBeUndefined();
    expect(proxyFor(new URL('https://mirror.example.org:8443/x'), env)).toBeUndefined();
    expect(proxyFor(new URL('https://mirror.example.org/x'), env)).toBeDefined();
    expect(proxyFor(new URL('http://a/x'), { ...env, no_proxy: '*' })).toBeUndefined();
    expect(proxyFor(new URL('http://a/x'), {})).toBeUndefined();
  });

  it('downloads through an HTTP proxy (and resumes through it)', async () => {
    const body = randomBytes(2 * 1024 * 1024);
    server.files.set('/via-proxy.iso', { body, cutAfter: 512 * 1024, cutTimes: 1 });
    process.env.http_proxy = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    process.env.no_proxy = 'localhost';
    const dest = join(dir, 'p.iso');
    const result = await download({
      url: server.url('/via-proxy.iso'),
      dest,
      algorithms: [],
      logger: silentLogger(),
      policy: { retries: 3, delayMs: 10, idleTimeoutMs: 5000 },
    });
    expect(result.bytes).toBe(body.length);
    expect(readFileSync(dest).equals(body)).toBe(true);
    expect(seen.filter((s) => s === `GET ${server.url('/via-proxy.iso')}`)).toHaveLength(2);
    expect(server.gets('/via-proxy.iso')[1].range).toMatch(/^bytes=[1-9]/);
    // no_proxy bypasses it.
    process.env.no_proxy = '127.0.0.1';
    seen.length = 0;
    server.files.set('/direct.txt', { body: Buffer.from('direct') });
    expect(await fetchText(server.url('/direct.txt'), { retries: 0, delayMs: 10, idleTimeoutMs: 5000 }, silentLogger())).toBe('direct');
    expect(seen).toEqual([]);
  });

  it('tunnels https through CONNECT and speaks TLS to the origin inside the tunnel', async () => {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1'],
      { stdio: 'ignore' },
    );
    const secure = https.createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (_req, res) => res.end('secure'));
    await new Promise<void>((r) => secure.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (secure.address() as AddressInfo).port;
      process.env.https_proxy = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
      process.env.no_proxy = 'localhost';
      seen.length = 0;
      // The origin's certificate is self-signed: the TLS handshake, made through the tunnel, rejects it.
      await expect(fetchText(`https://127.0.0.1:${port}/x`, { retries: 0, delayMs: 10, idleTimeoutMs: 5000 }, silentLogger())).rejects.toMatchObject({
        code: 'NETWORK',
        message: expect.stringMatching(/SELF_SIGNED|self.signed/i),
      });
      expect(seen).toEqual([`CONNECT 127.0.0.1:${port}`]);
    } finally {
      delete process.env.https_proxy;
      secure.closeAllConnections();
      await new Promise((r) => secure.close(r));
    }
  });
});
