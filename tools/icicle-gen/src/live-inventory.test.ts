import { execFile, execFileSync, spawn } from 'node:child_process';
import { createServer, type Socket } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The SSH engineer's real-sshd harness (an OpenSSH server on 127.0.0.1 the test owns).
import { startSshd, makeKeyPair, type TestSshd } from '../../../libs/ssh/src/sshd.test-support.js';

const bin = new URL('../bin/icicle-gen.js', import.meta.url).pathname;

function run(args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [bin, ...args], { maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    child.stdin!.end(stdin ?? '');
  });
}

let sshd: TestSshd;
let dir: string;
let fingerprint: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'icicle-live-'));
  sshd = await startSshd();
  fingerprint = execFileSync('ssh-keygen', ['-lf', sshd.hostKey.publicKey], { encoding: 'utf8' }).split(' ')[1];
});
afterAll(async () => {
  await sshd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

// The "guest" is this host: its own dpkg database, queried read-only over a real SSH login.
describe('icicle-gen --live over SSH', () => {
  it("lists exactly what Oz's `dpkg --get-selections` lists, and writes an SBOM with the guest's distro", async () => {
    const args = ['--live', '--host', '127.0.0.1', '--port', String(sshd.port), '--key', sshd.clientKey.privateKey, '--host-key', fingerprint];
    const doc = { ozkit: 1, workdir: dir, stages: [] };
    const r = await run([...args, '-f', 'cyclonedx'], JSON.stringify(doc));
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.icicle).toMatchObject({ source: 'live', format: 'deb', live: { host: '127.0.0.1', port: sshd.port, hostKey: { sha256: fingerprint } } });
    const xml = readFileSync(join(dir, 'icicle.xml'), 'utf8');
    const names = [...xml.matchAll(/<package name="([^"]*)"\/>/g)].map((m) => m[1].replace(/&amp;/g, '&'));
    const selections = execFileSync('dpkg', ['--get-selections'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
      .split('\n')
      .map((l) => l.split('\t')[0])
      .filter((n) => n !== '');
    expect(names).toEqual(selections);
    expect(out.icicle.packages).toBe(selections.length);
    const bom = JSON.parse(readFileSync(join(dir, 'sbom.cdx.json'), 'utf8'));
    const dpkg = bom.components.find((c: { name: string }) => c.name === 'dpkg');
    const version = execFileSync('dpkg-query', ['-W', '-f', '${Version}', 'dpkg'], { encoding: 'utf8' });
    expect(dpkg.purl).toBe(`pkg:deb/debian/dpkg@${version.replace(/\+/g, '%2B')}?arch=amd64&distro=debian-12`);
    expect(bom.components[0]).toMatchObject({ type: 'operating-system', name: 'debian', version: '12' });
  });

  it('pairs the extra command lines and prints the XML with --stdout, without a document', async () => {
    const r = await run(
      [
        '--live',
        '--host',
        '127.0.0.1',
        '--port',
        String(sshd.port),
        '--key',
        sshd.clientKey.privateKey,
        '--extra-command',
        "dpkg-query -W -f '${Version}\\n'",
        '--stdout',
      ],
      JSON.stringify({ ozkit: 1, stages: [] }),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/<package name="dpkg">\n {6}<extra>1\.\d+[^<]*<\/extra>\n {4}<\/package>/);
    expect(r.stderr).toContain(`host key ssh-ed25519 ${fingerprint} (not checked`);
  });

  it('runs without a document on empty stdin (scripts with </dev/null)', async () => {
    const r = await run(['--live', '--host', '127.0.0.1', '--port', String(sshd.port), '--key', sshd.clientKey.privateKey, '--stdout'], '');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('<package name="dpkg"/>');
  });

  it('refuses a guest whose host key does not match, before running anything (exit 69)', async () => {
    const r = await run(
      [
        '--live',
        '--host',
        '127.0.0.1',
        '--port',
        String(sshd.port),
        '--key',
        sshd.clientKey.privateKey,
        '--host-key',
        'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
        '--stdout',
      ],
      JSON.stringify({ ozkit: 1, stages: [] }),
    );
    expect(r.code).toBe(69);
    expect(r.stderr).toContain('host key mismatch');
    expect(r.stdout).toBe('');
  });

  it('says clearly when the key is refused or nothing listens', async () => {
    const other = makeKeyPair(dir, 'stranger');
    const refused = await run(['--live', '--host', '127.0.0.1', '--port', String(sshd.port), '--key', other.privateKey, '--stdout'], '{"ozkit":1,"stages":[]}');
    expect(refused.code).toBe(65);
    expect(refused.stderr).toContain('refused the build key');
    const closed = await run(['--live', '--host', '127.0.0.1', '--port', '1', '--key', other.privateKey, '--stdout'], '{"ozkit":1,"stages":[]}');
    expect(closed.code).toBe(75);
    expect(closed.stderr).toContain('connection refused');
  });

  it('ends promptly with exit 143 on SIGTERM while a guest keeps it waiting', async () => {
    // A TCP server that accepts and never speaks SSH: the handshake would wait 20 s.
    const sockets: Socket[] = [];
    const server = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    try {
      const child = spawn(process.execPath, [bin, '--live', '--host', '127.0.0.1', '--port', String(port), '--key', sshd.clientKey.privateKey, '--stdout'], {
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      child.stdin.end('');
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      await new Promise((r) => setTimeout(r, 2000));
      const started = Date.now();
      child.kill('SIGTERM');
      const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
      expect(code).toBe(143);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(stderr).toContain('terminated (SIGTERM)');
    } finally {
      for (const s of sockets) s.destroy();
      server.close();
    }
  });

  it('needs --host with --live, and --live with --host', async () => {
    expect((await run(['--live'], '{"ozkit":1,"stages":[]}')).code).toBe(64);
    const r = await run(['--host', 'x'], '{"ozkit":1,"stages":[]}');
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('--host only makes sense with --live');
  });
});
