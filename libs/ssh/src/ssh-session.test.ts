import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OzkitError } from '@ozkit/errors';
import { HostKeyPin, SshSession, loadPrivateKey, waitForSsh } from './index.js';
import { freePort, makeKeyPair, startSshd, type TestSshd } from './sshd.test-support.js';

let sshd: TestSshd;
let key: Buffer;
let work: string;

beforeAll(async () => {
  sshd = await startSshd();
  key = await loadPrivateKey(sshd.clientKey.privateKey);
  work = mkdtempSync(join(tmpdir(), 'ozkit-ssh-test-'));
});

afterAll(async () => {
  await sshd?.stop();
  rmSync(work, { recursive: true, force: true });
});

const connect = (pin = new HostKeyPin(), port = sshd.port) => SshSession.connect({ host: '127.0.0.1', port, privateKey: key, hostKeys: pin });

describe('SshSession against a real sshd', () => {
  it('runs a command, streams stdout and stderr, returns exit status and the last lines', async () => {
    const session = await connect();
    try {
      const streamed: string[] = [];
      const result = await session.exec('for i in 1 2 3; do echo out$i; done; echo err >&2; exit 3', {
        timeoutMs: 10_000,
        captureStdout: true,
        onOutput: (text, stream) => streamed.push(`${stream}:${text}`),
      });
      expect(result.exitCode).toBe(3);
      expect(result.stdout).toBe('out1\nout2\nout3\n');
      // stdout and stderr are two SSH channels: each keeps its order, not their interleaving.
      expect(result.tail.filter((l) => l.startsWith('out'))).toEqual(['out1', 'out2', 'out3']);
      expect(result.tail).toContain('err');
      expect(result.tail).toHaveLength(4);
      expect(streamed.join('')).toContain('stderr:err');
      expect(session.hostKey.type).toBe('ssh-ed25519');
      const expected = (await import('node:child_process')).execFileSync('ssh-keygen', ['-lf', sshd.hostKey.publicKey]).toString().split(' ')[1];
      expect(session.hostKey.sha256).toBe(expected);
    } finally {
      await session.close();
    }
  });

  it('feeds stdin and keeps only the last N lines in the tail', async () => {
    const session = await connect();
    try {
      const result = await session.exec('cat; seq 1 100', { timeoutMs: 10_000, stdin: 'from-stdin\n', tailLines: 3 });
      expect(result.exitCode).toBe(0);
      expect(result.tail).toEqual(['98', '99', '100']);
    } finally {
      await session.close();
    }
  });

  it('ends a command that outlives its timeout with TIMEOUT and kills it on the server', async () => {
    const session = await connect();
    const pidFile = join(work, 'sleeper.pid');
    try {
      const error = await session.exec(`echo started; sh -c 'echo $$ > ${pidFile}; exec sleep 60'`, { timeoutMs: 4000 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OzkitError);
      expect((error as OzkitError).code).toBe('TIMEOUT');
      expect((error as OzkitError).exitCode).toBe(75);
      expect((error as OzkitError).details?.tail).toEqual(['started']);
      const pid = Number(readFileSync(pidFile, 'utf8'));
      await expect.poll(() => alive(pid), { timeout: 5000 }).toBe(false);
    } finally {
      await session.close();
    }
  });

  it('stops a running command when the AbortSignal fires', async () => {
    const session = await connect();
    try {
      const controller = new AbortController();
      setTimeout(() => controller.abort(new OzkitError('INTERRUPTED', 'interrupted (SIGINT)')), 300);
      const error = await session.exec('sleep 30', { timeoutMs: 60_000, signal: controller.signal }).catch((e: unknown) => e);
      expect((error as OzkitError).code).toBe('INTERRUPTED');
    } finally {
      await session.close();
    }
  });

  it('uploads atomically: parents made, mode applied, existing file replaced, no temp file left', async () => {
    const session = await connect();
    const target = join(work, 'a', 'b', 'c', 'secret.conf');
    try {
      await session.upload('first\n', target, { mode: 0o600 });
      expect(readFileSync(target, 'utf8')).toBe('first\n');
      expect(statSync(target).mode & 0o777).toBe(0o600);
      await session.upload(Buffer.from('second\n'), target, { mode: 0o755 });
      expect(readFileSync(target, 'utf8')).toBe('second\n');
      expect(statSync(target).mode & 0o777).toBe(0o755);
      expect(readdirSync(join(work, 'a', 'b', 'c'))).toEqual(['secret.conf']);
      // Random bytes over many write requests in flight: a chunk written at the wrong offset shows.
      const big = randomBytes(3 * 1024 * 1024 + 17);
      await session.upload(big, join(work, 'big.bin'));
      expect(readFileSync(join(work, 'big.bin')).equals(big)).toBe(true);
      await session.upload('', join(work, 'empty'), { mode: 0o640 });
      expect(statSync(join(work, 'empty')).size).toBe(0);
      expect(statSync(join(work, 'empty')).mode & 0o777).toBe(0o640);
    } finally {
      await session.close();
    }
  });

  it('leaves neither the target nor a temp file when an upload is aborted midway', async () => {
    const session = await connect();
    const where = join(work, 'aborted');
    try {
      const controller = new AbortController();
      const pending = session.upload(randomBytes(32 * 1024 * 1024), join(where, 'file.bin'), { signal: controller.signal });
      setTimeout(() => controller.abort(new OzkitError('INTERRUPTED', 'stop')), 20);
      const error = await pending.catch((e: unknown) => e);
      expect((error as OzkitError).code).toBe('INTERRUPTED');
      expect(readdirSync(where)).toEqual([]);
    } finally {
      await session.close();
    }
  });

  it('refuses an upload whose parent path is a file', async () => {
    const session = await connect();
    writeFileSync(join(work, 'plainfile'), 'x');
    try {
      const error = await session.upload('x', join(work, 'plainfile', 'inner'), {}).catch((e: unknown) => e);
      expect((error as OzkitError).message).toMatch(/exists and is not a directory/);
    } finally {
      await session.close();
    }
  });
});

describe('host key pinning', () => {
  it('accepts the same key on a later connection and refuses a different one', async () => {
    const pin = new HostKeyPin();
    const first = await connect(pin);
    await first.close();
    const second = await connect(pin);
    expect(second.hostKey).toEqual(pin.key);
    await second.close();

    const other = await startSshd({ clientKey: sshd.clientKey });
    try {
      const error = await connect(pin, other.port).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OzkitError);
      expect((error as OzkitError).message).toMatch(/host key changed.*expected ssh-ed25519 SHA256:/);
      // waitForSsh must not keep retrying a changed key.
      const started = Date.now();
      const waited = await waitForSsh({ host: '127.0.0.1', port: other.port, privateKey: key, hostKeys: pin, timeoutMs: 20_000 }).catch((e: unknown) => e);
      expect((waited as OzkitError).details?.reason).toBe('host-key');
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await other.stop();
    }
  });
});

describe('waitForSsh', () => {
  it('connects once an sshd starts listening later', async () => {
    const port = await freePort();
    let late: TestSshd | undefined;
    const attempts: string[] = [];
    setTimeout(() => {
      void startSshd({ port, clientKey: sshd.clientKey }).then((s) => (late = s));
    }, 1500);
    try {
      const session = await waitForSsh({
        host: '127.0.0.1',
        port,
        privateKey: key,
        hostKeys: new HostKeyPin(),
        timeoutMs: 20_000,
        initialDelayMs: 200,
        onAttempt: (_n, e) => attempts.push(String(e.details?.reason)),
      });
      const r = await session.exec('echo up', { timeoutMs: 5000, captureStdout: true });
      expect(r.stdout).toBe('up\n');
      await session.close();
      expect(attempts[0]).toBe('refused');
    } finally {
      await new Promise((r) => setTimeout(r, 100));
      await late?.stop();
    }
  });

  it('gives up at the deadline with TIMEOUT naming the last failure', async () => {
    const port = await freePort();
    const started = Date.now();
    const error = await waitForSsh({ host: '127.0.0.1', port, privateKey: key, hostKeys: new HostKeyPin(), timeoutMs: 2000, initialDelayMs: 100 }).catch(
      (e: unknown) => e,
    );
    expect((error as OzkitError).code).toBe('TIMEOUT');
    expect((error as OzkitError).message).toMatch(/no SSH login on 127\.0\.0\.1:\d+ within 2 s .*connection refused/);
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('stops early when sshd keeps refusing the key', async () => {
    const stranger = makeKeyPair(work, 'stranger');
    const error = await waitForSsh({
      host: '127.0.0.1',
      port: sshd.port,
      privateKey: await loadPrivateKey(stranger.privateKey),
      hostKeys: new HostKeyPin(),
      timeoutMs: 60_000,
      initialDelayMs: 100,
    }).catch((e: unknown) => e);
    expect((error as OzkitError).code).toBe('BAD_IMAGE');
    expect((error as OzkitError).message).toMatch(/refused the build key/);
  });

  it('ends the wait when stopIf reports a reason', async () => {
    const port = await freePort();
    let calls = 0;
    const error = await waitForSsh({
      host: '127.0.0.1',
      port,
      privateKey: key,
      hostKeys: new HostKeyPin(),
      timeoutMs: 60_000,
      initialDelayMs: 50,
      stopIf: () => (++calls >= 3 ? new OzkitError('QEMU_CRASHED', 'the VM exited') : undefined),
    }).catch((e: unknown) => e);
    expect((error as OzkitError).code).toBe('QEMU_CRASHED');
  });
});

describe('loadPrivateKey', () => {
  it('names a missing key file', async () => {
    const error = await loadPrivateKey(join(work, 'nope')).catch((e: unknown) => e);
    expect((error as OzkitError).code).toBe('INPUT_MISSING');
    expect((error as OzkitError).message).toMatch(/nope: cannot read SSH private key: ENOENT/);
  });

  it('refuses garbage and keys readable by others', async () => {
    const garbage = join(work, 'garbage');
    writeFileSync(garbage, 'not a key', { mode: 0o600 });
    expect(((await loadPrivateKey(garbage).catch((e: unknown) => e)) as OzkitError).code).toBe('BAD_DOCUMENT');
    const open = makeKeyPair(work, 'open');
    chmodSync(open.privateKey, 0o644);
    expect(((await loadPrivateKey(open.privateKey).catch((e: unknown) => e)) as OzkitError).message).toMatch(/chmod|readable by others/);
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
}
