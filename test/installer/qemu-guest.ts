/**
 * A QEMU guest for the test installer's VM tests: started directly (TCG), serial console on a
 * socket the test can type into and logged to a file, waited on by console text. Every guest
 * started is tracked so a test's cleanup can end them all.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';

const running = new Set<QemuGuest>();

export interface GuestExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class QemuGuest {
  readonly consoleLog: string;
  readonly exited: Promise<GuestExit>;
  private readonly child: ChildProcess;
  private readonly socketPath: string;
  private socket?: Socket;
  private text = '';
  private stderr = '';
  private exit?: GuestExit;
  private waiters = new Set<() => void>();

  /** Starts qemu-system-x86_64 with `args` plus a serial console in `dir` (console.log, serial.sock). */
  constructor(dir: string, args: string[], name = 'guest') {
    this.consoleLog = join(dir, `${name}-console.log`);
    this.socketPath = join(dir, `${name}-serial.sock`);
    this.child = spawn(
      'qemu-system-x86_64',
      [
        '-machine',
        'pc,accel=tcg',
        '-m',
        '1024',
        '-smp',
        '2',
        '-display',
        'none',
        '-nodefaults',
        '-vga',
        'std',
        '-chardev',
        `socket,id=ser0,path=${this.socketPath},server=on,wait=off,logfile=${this.consoleLog},logappend=off`,
        '-serial',
        'chardev:ser0',
        ...args,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    running.add(this);
    this.child.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.exit = { code, signal };
        running.delete(this);
        this.socket?.destroy();
        this.notify();
        resolve(this.exit);
      });
    });
    void this.attach();
  }

  private async attach(): Promise<void> {
    for (let i = 0; i < 200 && !this.exit; i++) {
      if (existsSync(this.socketPath)) {
        const socket = connect(this.socketPath);
        const ok = await new Promise<boolean>((resolve) => {
          socket.once('connect', () => resolve(true));
          socket.once('error', () => resolve(false));
        });
        if (ok) {
          this.socket = socket;
          socket.on('data', (chunk: Buffer) => {
            this.text += chunk.toString('utf8');
            this.notify();
          });
          socket.on('error', () => undefined);
          return;
        }
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private notify(): void {
    for (const waiter of this.waiters) waiter();
  }

  /** Console text seen so far, escape sequences and carriage returns removed. */
  console(): string {
    // eslint-disable-next-line no-control-regex
    return this.text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
  }

  /** The last `lines` console lines, for failure messages. */
  tail(lines = 40): string {
    return this.console().split('\n').slice(-lines).join('\n');
  }

  /**
   * Resolves with the match once `pattern` appears in the console after character `from`;
   * rejects on timeout or when QEMU exits first, with the console tail.
   */
  waitFor(pattern: RegExp, timeoutMs: number, from = 0): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(this.console().slice(from));
        if (match) return finish(() => resolve(match));
        if (this.exit)
          return finish(() =>
            reject(
              new Error(
                `QEMU exited (${JSON.stringify(this.exit)}) before ${pattern} appeared; stderr: ${this.stderr.trim()}\n--- console tail ---\n${this.tail()}`,
              ),
            ),
          );
      };
      const timer = setTimeout(
        () => finish(() => reject(new Error(`${pattern} did not appear within ${timeoutMs / 1000} s\n--- console tail ---\n${this.tail()}`))),
        timeoutMs,
      );
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        settle();
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Types `text` on the serial console. */
  type(text: string): void {
    if (!this.socket) throw new Error('serial console not connected');
    this.socket.write(text);
  }

  /** Waits for QEMU to exit by itself within `timeoutMs`. */
  async waitForExit(timeoutMs: number): Promise<GuestExit> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`QEMU still running after ${timeoutMs / 1000} s\n--- console tail ---\n${this.tail()}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  get qemuStderr(): string {
    return this.stderr;
  }

  async kill(): Promise<void> {
    if (this.exit) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** Ends every guest still running (test cleanup). */
  static async killAll(): Promise<void> {
    await Promise.all([...running].map((guest) => guest.kill()));
  }
}

/** A TCP port on 127.0.0.1 free at the time of asking. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** The first line a server sends on 127.0.0.1:`port` (an SSH banner), retried until `timeoutMs`. */
export async function readBanner(port: number, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    last = await new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      let data = '';
      const done = (value: string) => {
        socket.destroy();
        resolve(value);
      };
      socket.setTimeout(5000, () => done(data));
      socket.on('data', (chunk: Buffer) => {
        data += chunk.toString();
        if (data.includes('\n')) done(data.split('\n')[0]!.trim());
      });
      socket.on('error', () => done(''));
      socket.on('close', () => done(data.trim()));
    });
    if (last.startsWith('SSH-')) return last;
    await new Promise((r) => setTimeout(r, 2000));
  }
  throw new Error(`no SSH banner on 127.0.0.1:${port} within ${timeoutMs / 1000} s (last read: ${JSON.stringify(last)})`);
}
