import { describe, expect, it } from 'vitest';
import { fileUrlPath, isLoopbackHost, urlHosts, urlScheme } from './content-url.js';

describe('content URLs', () => {
  it('reads file URLs as Oz does, plus the standard forms', () => {
    expect(fileUrlPath('file:///srv/a%20b.sh', '/cwd')).toBe('/srv/a b.sh');
    expect(fileUrlPath('file://localhost/srv/x', '/cwd')).toBe('/srv/x');
    // Oz joins host and path: file://dir/x is the relative path dir/x.
    expect(fileUrlPath('file://tests/tdl/hello.cmd', '/cwd')).toBe('/cwd/tests/tdl/hello.cmd');
    expect(fileUrlPath('file://./tests/x', '/cwd')).toBe('/cwd/tests/x');
  });

  it('finds every host in a text, without userinfo, port or brackets', () => {
    expect(urlHosts('deb [arch=amd64] http://user:pw@Mirror.Example:8080/debian bookworm main')).toEqual(['mirror.example']);
    expect(urlHosts('http://[::1]:80/x https://a/ ftp://b')).toEqual(['::1', 'a', 'b']);
    expect(urlHosts('no url here')).toEqual([]);
  });

  it('knows the names that mean the guest itself', () => {
    for (const h of ['localhost', 'LOCALHOST', 'localhost.localdomain', 'foo.localhost', '127.0.0.1', '127.1.2.3', '::1', 'localhost.'])
      expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['10.0.2.2', 'example.org', 'localhostx', '128.0.0.1', '::2']) expect(isLoopbackHost(h), h).toBe(false);
  });

  it('names the scheme of a URL only', () => {
    expect(urlScheme('HTTPS://x')).toBe('https');
    expect(urlScheme('/srv/x.iso')).toBeUndefined();
    expect(urlScheme('http:e.org/x')).toBeUndefined();
  });
});
