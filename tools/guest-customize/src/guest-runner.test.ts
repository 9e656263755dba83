import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OzkitError } from '@ozkit/errors';
import { Logger } from '@ozkit/log';
import { HostKeyPin, SshSession, loadPrivateKey } from '@ozkit/ssh';
import { startSshd, type TestSshd } from '../../../libs/ssh/src/sshd.test-support.js';
import { GuestRunner } from './guest-runner.js';

let sshd: TestSshd;
let session: SshSession;
const dir = mkdtempSync(join(tmpdir(), 'ozkit-runner-'));
let stderr = '';
const logger = new Logger({ tool: 'guest-customize', stream: { write: (t: string) => ((stderr += t), true), isTTY: false } as unknown as NodeJS.WritableStream });

beforeAll(async () => {
  sshd = await startSshd();
  session = await SshSession.connect({
    host: '127.0.0.1',
    port: sshd.port,
    privateKey: await loadPrivateKey(sshd.clientKey.privateKey),
    hostKeys: new HostKeyPin(),
  });
});
afterAll(async () => {
  await session?.close();
  await sshd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('GuestRunner against a real sshd', () => {
  it('streams output as "step: line" to stderr and into the log file', async () => {
    const runner = new GuestRunner(session, logger, { defaultTimeoutMs: 10_000, logFile: join(dir, 'customize.log') });
    stderr = '';
    await runner.run('command 1 (hello)', 'echo one; echo two >&2');
    await runner.close();
    expect(stderr).toContain('guest-customize: command 1 (hello): one\n');
    expect(stderr).toContain('guest-customize: command 1 (hello): two\n');
    const log = readFileSync(join(dir, 'customize.log'), 'utf8');
    expect(log).toMatch(/=== .* command 1 \(hello\)\n\$ echo one; echo two >&2\none\ntwo\n\n=== command 1 \(hello\): exit 0/);
  });

  it('names the step, the exit status and the last lines of a failing command (exit 65)', async () => {
    const runner = new GuestRunner(session, logger, { defaultTimeoutMs: 10_000 });
    const error = (await runner.run('command 2 (break)', 'seq 1 30; echo "E: Unable to locate package nope" >&2; exit 100').catch((e: unknown) => e)) as OzkitError;
    expect(error.code).toBe('COMMAND_FAILED');
    expect(error.exitCode).toBe(65);
    expect(error.message).toMatch(/^command 2 \(break\) failed with exit status 100; last output:\n {2}22\n[\s\S]* {2}30\n {2}E: Unable to locate package nope$/);
    expect(error.details).toMatchObject({ step: 'command 2 (break)', exitCode: 100 });
  });

  it('stops a step that outlives its timeout (exit 75)', async () => {
    const runner = new GuestRunner(session, logger, { defaultTimeoutMs: 10_000 });
    const error = (await runner.run('packages', 'echo downloading; sleep 30', { timeoutMs: 4000 }).catch((e: unknown) => e)) as OzkitError;
    expect(error.code).toBe('TIMEOUT');
    expect(error.exitCode).toBe(75);
    expect(error.message).toBe('packages: still running after 4 s, stopped; last output:\n  downloading');
  });
});
