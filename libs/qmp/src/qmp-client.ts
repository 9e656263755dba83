import { connect, type Socket } from 'node:net';
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { OzkitError } from '@ozkit/errors';

/** An asynchronous event QEMU sent (SHUTDOWN, RESET, STOP, GUEST_PANICKED, …). */
export interface QmpEvent {
  event: string;
  data: Record<string, unknown>;
  /** Seconds since the epoch, from QEMU's timestamp. */
  timestamp: number;
}

export interface QmpGreeting {
  version: { qemu: { major: number; minor: number; micro: number }; package: string };
  capabilities: string[];
}

export interface QmpConnectOptions {
  /** How long to keep retrying while QEMU has not created the socket yet (ms). Default 10000. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Gives up early (e.g. QEMU already exited) when this returns a reason. */
  abandonIf?: () => string | undefined;
}

interface Pending {
  command: string;
  resolve: (value: unknown) => void;
  reject: (error: OzkitError) => void;
}

/**
 * A QMP client over a unix socket: greeting, capability negotiation, commands answered by
 * id, events as an emitter ('event', and one per event name) or an async iterator.
 */
export class QmpClient extends EventEmitter {
  readonly greeting: QmpGreeting;
  private readonly socket: Socket;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private buffer = '';
  private closedReason: string | undefined;

  private constructor(socket: Socket, greeting: QmpGreeting, rest: string) {
    super();
    this.socket = socket;
    this.greeting = greeting;
    this.buffer = rest;
    socket.on('data', (chunk: Buffer) => this.onData(chunk.toString('utf8')));
    socket.on('close', () => this.onClose('QMP connection closed (QEMU exited?)'));
    socket.on('error', (error) => this.onClose(`QMP connection error: ${error.message}`));
    if (rest) queueMicrotask(() => this.onData(''));
  }

  /** Connects (retrying until QEMU has created the socket), reads the greeting and negotiates capabilities. */
  static async connect(path: string, options: QmpConnectOptions = {}): Promise<QmpClient> {
    const deadline = Date.now() + (options.timeoutMs ?? 10_000);
    let lastError = '';
    for (;;) {
      if (options.signal?.aborted) throw options.signal.reason;
      const abandon = options.abandonIf?.();
      if (abandon) throw new OzkitError('QEMU_CRASHED', `cannot connect to QMP at ${path}: ${abandon}`);
      try {
        const { socket, greeting, rest } = await openAndGreet(path);
        const client = new QmpClient(socket, greeting, rest);
        await client.execute('qmp_capabilities');
        return client;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT' && code !== 'ECONNREFUSED') throw asOzkitError(error, path);
        lastError = code;
      }
      if (Date.now() > deadline) {
        throw new OzkitError('QEMU_CRASHED', `QMP socket ${path} did not answer in ${options.timeoutMs ?? 10_000} ms (${lastError})`, {
          hint: 'QEMU may have failed to start; see its error output above',
        });
      }
      await sleep(50);
    }
  }

  get closed(): boolean {
    return this.closedReason !== undefined;
  }

  /** Runs one command; resolves with its `return`, rejects with an OzkitError on a QMP error or a closed socket. */
  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T> {
    if (this.closedReason) return Promise.reject(new OzkitError('QEMU_CRASHED', `QMP ${command}: ${this.closedReason}`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { command, resolve: resolve as (v: unknown) => void, reject });
      this.socket.write(JSON.stringify({ execute: command, ...(args ? { arguments: args } : {}), id }) + '\n');
    });
  }

  /** Resolves with the next event of that name, or rejects after timeoutMs / when the connection closes. */
  waitForEvent(name: string, timeoutMs: number): Promise<QmpEvent> {
    return new Promise((resolve, reject) => {
      const onEvent = (event: QmpEvent) => {
        cleanup();
        resolve(event);
      };
      const onClose = (reason: string) => {
        cleanup();
        reject(new OzkitError('QEMU_CRASHED', `waiting for QMP event ${name}: ${reason}`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new OzkitError('TIMEOUT', `QMP event ${name} did not arrive within ${timeoutMs} ms`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.off(name, onEvent);
        this.off('close', onClose);
      };
      this.on(name, onEvent);
      this.on('close', onClose);
      if (this.closedReason) onClose(this.closedReason);
    });
  }

  /** Every event from now on, until the connection closes. */
  async *events(): AsyncGenerator<QmpEvent> {
    const queue: QmpEvent[] = [];
    let wake: (() => void) | undefined;
    let done = this.closed;
    const onEvent = (e: QmpEvent) => {
      queue.push(e);
      wake?.();
    };
    const onClose = () => {
      done = true;
      wake?.();
    };
    this.on('event', onEvent);
    this.on('close', onClose);
    try {
      for (;;) {
        while (queue.length > 0) yield queue.shift()!;
        if (done) return;
        await new Promise<void>((r) => (wake = r));
        wake = undefined;
      }
    } finally {
      this.off('event', onEvent);
      this.off('close', onClose);
    }
  }

  close(): void {
    this.socket.destroy();
    this.onClose('QMP connection closed by ozkit');
  }

  private onData(text: string): void {
    this.buffer += text;
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (line) this.onMessage(line);
    }
  }

  private onMessage(line: string): void {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(line) as Record<string, unknown>;
    } catch {
      this.emit('protocol-error', line);
      return;
    }
    if (typeof message.event === 'string') {
      const ts = message.timestamp as { seconds?: number; microseconds?: number } | undefined;
      const event: QmpEvent = {
        event: message.event,
        data: (message.data as Record<string, unknown>) ?? {},
        timestamp: ts?.seconds !== undefined ? ts.seconds + (ts.microseconds ?? 0) / 1e6 : Date.now() / 1000,
      };
      this.emit('event', event);
      this.emit(event.event, event);
      return;
    }
    const id = message.id as number | undefined;
    const pending = id === undefined ? undefined : this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id!);
    if ('error' in message) {
      const err = message.error as { class?: string; desc?: string };
      pending.reject(
        new OzkitError('INTERNAL', `QMP ${pending.command} failed: ${err.desc ?? 'unknown error'} (${err.class ?? 'GenericError'})`, {
          details: { qmpClass: err.class, qmpCommand: pending.command },
        }),
      );
    } else {
      pending.resolve(message.return);
    }
  }

  private onClose(reason: string): void {
    if (this.closedReason) return;
    this.closedReason = reason;
    for (const p of this.pending.values()) p.reject(new OzkitError('QEMU_CRASHED', `QMP ${p.command}: ${reason}`));
    this.pending.clear();
    this.emit('close', reason);
  }
}

function openAndGreet(path: string): Promise<{ socket: Socket; greeting: QmpGreeting; rest: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    let buffer = '';
    const fail = (error: Error) => {
      socket.destroy();
      reject(error);
    };
    const timer = setTimeout(() => fail(new OzkitError('QEMU_CRASHED', `QMP ${path}: no greeting within 10 s`)), 10_000);
    socket.on('error', (e) => {
      clearTimeout(timer);
      fail(e);
    });
    socket.on('data', function onData(chunk: Buffer) {
      buffer += chunk.toString('utf8');
      const nl = buffer.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.removeAllListeners('error');
      try {
        const parsed = JSON.parse(buffer.slice(0, nl)) as { QMP?: QmpGreeting };
        if (!parsed.QMP) throw new Error('not a QMP greeting');
        resolve({ socket, greeting: parsed.QMP, rest: buffer.slice(nl + 1) });
      } catch (error) {
        fail(new OzkitError('INTERNAL', `${path}: ${(error as Error).message}: ${buffer.slice(0, 200)}`));
      }
    });
  });
}

function asOzkitError(error: unknown, path: string): OzkitError {
  if (error instanceof OzkitError) return error;
  return new OzkitError('QEMU_CRASHED', `QMP ${path}: ${(error as Error).message}`, { cause: error });
}
