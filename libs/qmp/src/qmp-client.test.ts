import { afterEach, describe, expect, test } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OzkitError } from '@ozkit/errors';
import { QmpClient, type QmpEvent } from './index.js';
import { needsPrograms } from '../../../test/support/missing-program.js';

needsPrograms('qemu-system-x86_64');

// A real QEMU with no machine at all: starts in ~100 ms and speaks full QMP.
let qemu: ChildProcess | undefined;
let dir: string | undefined;
function startQemu(): string {
  dir = mkdtempSync(join(tmpdir(), 'qmp-test-'));
  const socket = join(dir, 'qmp.sock');
  qemu = spawn(
    'setpriv',
    ['--pdeathsig', 'KILL', '--', 'qemu-system-x86_64', '-machine', 'none', '-nodefaults', '-display', 'none', '-qmp', `unix:${socket},server=on,wait=off`],
    {
      stdio: 'ignore',
    },
  );
  return socket;
}

afterEach(async () => {
  if (qemu && qemu.exitCode === null && qemu.signalCode === null) {
    qemu.kill('SIGKILL');
    await new Promise((r) => qemu!.once('exit', r));
  }
  qemu = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('QmpClient against a real QEMU', () => {
  test('greets, negotiates and answers commands by id', async () => {
    const client = await QmpClient.connect(startQemu());
    expect(client.greeting.version.qemu.major).toBeGreaterThanOrEqual(7);
    const [status, version] = await Promise.all([
      client.execute<{ running: boolean; status: string }>('query-status'),
      client.execute<{ qemu: { major: number } }>('query-version'),
    ]);
    expect(status.status).toBeTypeOf('string');
    expect(version.qemu.major).toBe(client.greeting.version.qemu.major);
    client.close();
  });

  test('a QMP error becomes an OzkitError naming the command and class', async () => {
    const client = await QmpClient.connect(startQemu());
    const error = (await client.execute('no-such-command').catch((e: unknown) => e)) as OzkitError;
    expect(error).toBeInstanceOf(OzkitError);
    expect(error.message).toMatch(/no-such-command failed: .*CommandNotFound/);
    expect(error.details?.qmpClass).toBe('CommandNotFound');
    client.close();
  });

  test('events arrive through the emitter, waitForEvent and the async iterator', async () => {
    const client = await QmpClient.connect(startQemu());
    const seen: string[] = [];
    const iterator = (async () => {
      for await (const e of client.events()) seen.push(e.event);
    })();
    const stop = client.waitForEvent('STOP', 5000);
    await client.execute('stop');
    const event: QmpEvent = await stop;
    expect(event.event).toBe('STOP');
    expect(event.timestamp).toBeGreaterThan(1e9);
    const resume = client.waitForEvent('RESUME', 5000);
    await client.execute('cont');
    await resume;
    const shutdown = client.waitForEvent('SHUTDOWN', 5000);
    await client.execute('quit').catch(() => undefined);
    await shutdown;
    await iterator; // ends when QEMU closes the socket
    expect(seen).toEqual(expect.arrayContaining(['STOP', 'RESUME', 'SHUTDOWN']));
    expect(client.closed).toBe(true);
  });

  test('commands after QEMU went away reject instead of hanging', async () => {
    const client = await QmpClient.connect(startQemu());
    qemu!.kill('SIGKILL');
    await new Promise((r) => client.once('close', r));
    await expect(client.execute('query-status')).rejects.toMatchObject({ code: 'QEMU_CRASHED' });
    await expect(client.waitForEvent('SHUTDOWN', 5000)).rejects.toMatchObject({ code: 'QEMU_CRASHED' });
  });

  test('a socket that never appears times out with a clear error', async () => {
    dir = mkdtempSync(join(tmpdir(), 'qmp-test-'));
    const error = await QmpClient.connect(join(dir, 'none.sock'), { timeoutMs: 300 }).catch((e) => e);
    expect(error).toBeInstanceOf(OzkitError);
    expect(error.message).toMatch(/did not answer in 300 ms/);
  });

  test('abandonIf stops waiting at once', async () => {
    dir = mkdtempSync(join(tmpdir(), 'qmp-test-'));
    const error = await QmpClient.connect(join(dir, 'none.sock'), { abandonIf: () => 'QEMU exited with status 1' }).catch((e) => e);
    expect(error.message).toMatch(/QEMU exited with status 1/);
  });
});
