// The installer's preseed/url fetcher (initrd/lib/http-get.pl), run with the host's perl against
// a real HTTP server on 127.0.0.1 (the installer runs it with the root image's perl).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const script = readFileSync(resolve(import.meta.dirname, 'initrd/lib/http-get.pl'), 'utf8');
let server: Server;
let base: string;
const seen: { url: string; host: string }[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    seen.push({ url: request.url ?? '', host: request.headers.host ?? '' });
    if (request.url === '/d-i/bookworm/./preseed.cfg' || request.url === '/seed') response.end('d-i time/zone string UTC\n');
    else if (request.url === '/moved') response.writeHead(302, { location: '/seed' }).end();
    else if (request.url?.startsWith('http://')) response.end(`via proxy: ${request.url}\n`);
    else response.writeHead(404).end('no');
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((done) => server.close(done)));

function get(url: string, proxy = ''): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn('perl', ['-e', script, url, proxy]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (status) => done({ status, stdout, stderr }));
  });
}

describe('http-get.pl', () => {
  it("fetches d-i's url=HOST path verbatim, with a Host header carrying the port", async () => {
    const result = await get(`${base}/d-i/bookworm/./preseed.cfg`);
    expect(result).toMatchObject({ status: 0, stdout: 'd-i time/zone string UTC\n' });
    expect(seen.at(-1)).toEqual({ url: '/d-i/bookworm/./preseed.cfg', host: base.slice('http://'.length) });
  });

  it('follows a redirect', async () => {
    expect(await get(`${base}/moved`)).toMatchObject({ status: 0, stdout: 'd-i time/zone string UTC\n' });
  });

  it('fails with the HTTP status on a missing file and on a refused connection', async () => {
    const missing = await get(`${base}/nope`);
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toContain(`HTTP 404 for ${base}/nope`);
    const refused = await get('http://127.0.0.1:1/x');
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain('cannot connect to 127.0.0.1:1');
  });

  it('asks a proxy for the absolute URL (mirror/http/proxy)', async () => {
    const result = await get('http://deb.example.invalid/seed', base);
    expect(result).toMatchObject({ status: 0, stdout: 'via proxy: http://deb.example.invalid/seed\n' });
  });

  it('refuses what it cannot fetch', async () => {
    const result = await get('https://127.0.0.1/x');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('not an http:// URL');
  });
});
