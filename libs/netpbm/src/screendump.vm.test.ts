import { spawn, type ChildProcess, execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { screendumpToPng } from './convert.js';

// A real QEMU `screendump` (what guest-install captures when an install hangs): boot a
// diskless VM to SeaBIOS's "No bootable device" screen, dump it over QMP, convert it, and
// check the pixels against netpbm's own pnmtopng.

/** Just enough QMP for this test: one command at a time, JSON lines. */
class TinyQmp {
  private buffer = '';
  private waiting: ((message: Record<string, unknown>) => void)[] = [];
  constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (data: string) => {
      this.buffer += data;
      let nl;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, nl).trim();
        this.buffer = this.buffer.slice(nl + 1);
        if (!line) continue;
        const message = JSON.parse(line) as Record<string, unknown>;
        if ('event' in message) continue;
        this.waiting.shift()?.(message);
      }
    });
    socket.on('error', () => {});
  }
  static async open(path: string): Promise<TinyQmp> {
    const socket = connect(path);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const qmp = new TinyQmp(socket);
    await qmp.next(); // greeting
    await qmp.execute('qmp_capabilities');
    return qmp;
  }
  private next(): Promise<Record<string, unknown>> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }
  async execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    const reply = this.next();
    this.socket.write(JSON.stringify({ execute: command, ...(args ? { arguments: args } : {}) }) + '\n');
    const message = await reply;
    if ('error' in message) throw new Error(`QMP ${command}: ${JSON.stringify(message.error)}`);
    return message.return;
  }
  close(): void {
    this.socket.destroy();
  }
}

async function waitFor<T>(what: string, seconds: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

let dir: string;
let qemu: ChildProcess | undefined;
let qmp: TinyQmp | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'netpbm-screendump-'));
  const socket = join(dir, 'qmp.sock');
  qemu = spawn(
    'qemu-system-x86_64',
    ['-accel', 'tcg', '-display', 'none', '-nodefaults', '-vga', 'std', '-m', '64', '-no-reboot', '-qmp', `unix:${socket},server=on,wait=off`],
    { stdio: 'ignore' },
  );
  qmp = await waitFor('the QMP socket', 30, async () => ((await stat(socket).catch(() => undefined)) ? TinyQmp.open(socket) : undefined));
});

afterAll(async () => {
  try {
    await qmp?.execute('quit').catch(() => {});
  } finally {
    qmp?.close();
    if (qemu && qemu.exitCode === null) {
      const exited = new Promise((r) => qemu!.once('exit', r));
      qemu.kill('SIGKILL');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  }
});

describe('QEMU screendump', () => {
  it('converts a real QMP screendump (P6) to a PNG with the pixels pnmtopng gives', async () => {
    const ppm = join(dir, 'screen.ppm');
    // Wait until SeaBIOS has put text on the screen (a blank screen would be a weak test).
    const bytes = await waitFor('text on the VM screen', 120, async () => {
      await qmp!.execute('screendump', { filename: ppm });
      const data = await readFile(ppm);
      const headerEnd = data.indexOf('\n255\n') + 5;
      return data.subarray(headerEnd).some((b) => b !== 0) ? data : undefined;
    });
    expect(bytes.subarray(0, 2).toString()).toBe('P6');
    const png = join(dir, 'screen.png');
    const image = await screendumpToPng(ppm, png);
    expect(image.format).toBe('P6');
    const ours = await readFile(png);
    const decoded = PNG.sync.read(ours);
    expect([decoded.width, decoded.height]).toEqual([image.width, image.height]);
    const pam = (input: Buffer) => execFileSync('pngtopam', [], { input, stdio: ['pipe', 'pipe', 'ignore'] });
    const theirs = execFileSync('pnmtopng', [ppm], { stdio: ['ignore', 'pipe', 'ignore'] });
    expect(pam(ours).equals(pam(theirs))).toBe(true);
  });
});
