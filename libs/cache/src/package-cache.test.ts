import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { needsPrograms } from '../../../test/support/missing-program.js';
import { APT_CACHER_NG, aptProxyRemovalScript, openPackageCache, type PackageCache } from './package-cache.js';
import { execFile, execFileSync } from 'node:child_process';

needsPrograms(APT_CACHER_NG, 'flock', 'curl');

const dirs: string[] = [];
const caches: PackageCache[] = [];
const servers: Server[] = [];
afterEach(async () => {
  for (const c of caches.splice(0)) await c.release();
  for (const s of servers.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'ozkit-pkgcache-'));
  dirs.push(d);
  return d;
}

/** A free port apt-cacher-ng can bind (it cannot bind above 32767): one of 20000–32000 that binds. */
async function freePort(): Promise<number> {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    const s = createServer();
    const ok = await new Promise<boolean>((r) => {
      s.once('error', () => r(false));
      s.listen(port, '127.0.0.1', () => r(true));
    });
    if (ok) {
      await new Promise((r) => s.close(r));
      return port;
    }
  }
}

/** GET `url` through the proxy at 127.0.0.1:proxyPort, with curl as apt would ask (absolute URI). */
function getThrough(proxyPort: number, url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    execFile('curl', ['-sS', '-m', '20', '-o', '-', '-w', '\\n%{http_code}', '-x', `http://127.0.0.1:${proxyPort}`, url], (error, stdout, stderr) => {
      if (error) return reject(new Error(`curl: ${stderr || error.message}`));
      const at = stdout.lastIndexOf('\n');
      resolve({ status: Number(stdout.slice(at + 1)), body: stdout.slice(0, at) });
    });
  });
}

const pidOf = (dir: string) => Number(readFileSync(join(dir, 'apt-cacher-ng.pid'), 'utf8'));
const running = (pid: number) => {
  try {
    process.kill(pid, 0);
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
};

describe('openPackageCache', () => {
  it('starts apt-cacher-ng on 127.0.0.1, serves a package file from upstream once and then from its cache', async () => {
    let upstreamHits = 0;
    const upstream = createServer((req, res) => {
      upstreamHits++;
      res.writeHead(200, { 'content-type': 'application/vnd.debian.binary-package', 'content-length': 9, 'last-modified': new Date(0).toUTCString() });
      res.end('deb-bytes');
    });
    servers.push(upstream);
    // apt-cacher-ng 3.7.4 cannot reach ports above 32767 either.
    const upstreamPort = await freePort();
    await new Promise<void>((r) => upstream.listen(upstreamPort, '127.0.0.1', r));
    const dir = tmp();
    const port = await freePort();
    const cache = await openPackageCache({ dir, port });
    caches.push(cache);
    expect(cache.started).toBe(true);
    expect(cache.guestUrl).toBe(`http://10.0.2.2:${port}/`);
    const url = `http://127.0.0.1:${upstreamPort}/debian/pool/main/h/hello/hello_1.0_amd64.deb`;
    for (let i = 0; i < 2; i++) {
      const got = await getThrough(port, url);
      expect(got).toEqual({ status: 200, body: 'deb-bytes' });
    }
    expect(upstreamHits).toBe(1);
    const log = readFileSync(cache.logFile, 'utf8');
    expect(log.split('\n').filter((l) => /\|I\|.*hello_1\.0_amd64\.deb$/.test(l))).toHaveLength(1);
    expect(log.split('\n').filter((l) => /\|O\|.*hello_1\.0_amd64\.deb$/.test(l))).toHaveLength(2);
  }, 30_000);

  it('is reused by a second user and stopped by the last one to release it', async () => {
    const dir = tmp();
    const port = await freePort();
    const first = await openPackageCache({ dir, port });
    const pid = pidOf(dir);
    const second = await openPackageCache({ dir, port });
    expect([first.started, second.started]).toEqual([true, false]);
    // Both handles belong to this process: the users are pids, so the first release ends it.
    // A user that is another live process keeps it running:
    writeFileSync(join(dir, 'users', '1'), '');
    await first.release();
    expect(running(pid)).toBe(true);
    rmSync(join(dir, 'users', '1'));
    await second.release();
    expect(running(pid)).toBe(false);
  }, 30_000);

  it('refuses a port another program holds, naming the setting', async () => {
    const port = await freePort();
    const other = createServer();
    servers.push(other);
    await new Promise<void>((r) => other.listen(port, '127.0.0.1', r));
    await expect(openPackageCache({ dir: tmp(), port })).rejects.toThrow(new RegExp(`127\\.0\\.0\\.1:${port} is taken by another program`));
  });
});

describe('aptProxyRemovalScript', () => {
  it("removes the lines naming the cache, and files left empty, but nothing else of apt's configuration", () => {
    const root = tmp();
    const script = aptProxyRemovalScript('http://10.0.2.2:3143/').replaceAll('/etc/apt', `${root}/etc/apt`);
    execFileSync('mkdir', ['-p', `${root}/etc/apt/apt.conf.d`]);
    writeFileSync(`${root}/etc/apt/apt.conf`, 'Acquire::http::Proxy "http://10.0.2.2:3143/";\n');
    writeFileSync(`${root}/etc/apt/apt.conf.d/00proxy`, 'Acquire::http::Proxy "http://10.0.2.2:3143/";\nAPT::Install-Recommends "0";\n');
    writeFileSync(`${root}/etc/apt/apt.conf.d/01other`, 'Acquire::http::Proxy "http://10.0.2.2:3128/";\n');
    const out = execFileSync('sh', ['-c', script], { encoding: 'utf8' });
    expect(out.trim()).toBe('removed from 2 file(s)');
    expect(() => readFileSync(`${root}/etc/apt/apt.conf`)).toThrow();
    expect(readFileSync(`${root}/etc/apt/apt.conf.d/00proxy`, 'utf8')).toBe('APT::Install-Recommends "0";\n');
    expect(readFileSync(`${root}/etc/apt/apt.conf.d/01other`, 'utf8')).toContain('3128');
    expect(script).not.toContain("'");
  });
});
