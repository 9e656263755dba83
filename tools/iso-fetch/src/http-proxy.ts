import http from 'node:http';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { urlToHttpOptions } from 'node:url';

/** The proxy to use for `url`, from http_proxy / https_proxy / no_proxy (either case), or undefined. */
export function proxyFor(url: URL, env: NodeJS.ProcessEnv = process.env): URL | undefined {
  const pick = (name: string) => env[name] ?? env[name.toUpperCase()];
  const raw = url.protocol === 'https:' ? pick('https_proxy') : pick('http_proxy');
  if (!raw) return undefined;
  const noProxy = (pick('no_proxy') ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  for (const entry of noProxy) {
    if (entry === '*') return undefined;
    const [name, port] = entry.split(':');
    if (port && port !== (url.port || (url.protocol === 'https:' ? '443' : '80'))) continue;
    const bare = name.replace(/^\*?\./, '');
    if (host === bare || host.endsWith(`.${bare}`)) return undefined;
  }
  try {
    return new URL(/^[a-z]+:\/\//i.test(raw) ? raw : `http://${raw}`);
  } catch {
    return undefined;
  }
}

function proxyAuth(proxy: URL): Record<string, string> {
  if (!proxy.username) return {};
  const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return { 'proxy-authorization': `Basic ${Buffer.from(credentials).toString('base64')}` };
}

/**
 * Request options that go through `proxy`: plain http asks the proxy for the absolute URL;
 * https tunnels through CONNECT and speaks TLS to the origin inside the tunnel.
 */
export function proxiedOptions(url: URL, proxy: URL, base: http.RequestOptions): http.RequestOptions {
  if (url.protocol === 'http:') {
    return {
      ...base,
      host: proxy.hostname,
      port: Number(proxy.port || 80),
      path: url.toString(),
      headers: { ...(base.headers as Record<string, string>), host: url.host, ...proxyAuth(proxy) },
    };
  }
  const port = Number(url.port || 443);
  return {
    ...urlToHttpOptions(url),
    ...base,
    createConnection: (_opts: unknown, callback: (error: Error | null, socket: Duplex) => void) => {
      const connect = http.request({
        host: proxy.hostname,
        port: Number(proxy.port || 80),
        method: 'CONNECT',
        path: `${url.hostname}:${port}`,
        headers: { host: `${url.hostname}:${port}`, ...proxyAuth(proxy) },
      });
      connect.once('connect', (res, socket) => {
        if (res.statusCode !== 200) {
          socket.destroy();
          callback(new Error(`proxy ${proxy.host} refused CONNECT to ${url.hostname}:${port} (HTTP ${res.statusCode})`), socket);
          return;
        }
        callback(null, tls.connect({ socket, servername: url.hostname }));
      });
      connect.once('error', (error) => callback(error, undefined as unknown as Duplex));
      connect.end();
      return undefined;
    },
  } as http.RequestOptions;
}
