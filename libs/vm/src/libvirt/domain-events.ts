import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { findProgram } from '@ozkit/qemu';
import type { Virsh } from './virsh.js';

export interface LifecycleEvent {
  /** libvirt's event name: `lifecycle`, `reboot`, … */
  kind: string;
  /** For lifecycle events: state and reason, e.g. `Stopped Shutdown`, `Shutdown Finished after guest request`. */
  detail: string;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

const EVENT_LINE = /^(?:\S+ \S+: )?event '([^']+)' for domain '([^']+)'(?::\s*(.*))?$/;

/** Parses one line of `virsh event --loop --all` output. */
export function parseEventLine(line: string): { domain: string; event: LifecycleEvent } | undefined {
  const m = EVENT_LINE.exec(line.trim());
  return m ? { domain: m[2], event: { kind: m[1], detail: (m[3] ?? '').trim() } } : undefined;
}

/**
 * One `virsh event --loop --all` per guest start, begun before `virsh create` so no early event
 * is missed (a domain that does not exist yet cannot be named in `--domain`).
 */
export class DomainEvents {
  private readonly handlers = new Map<string, (event: LifecycleEvent) => void>();

  private constructor(private readonly child: ChildProcess) {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const parsed = parseEventLine(line);
      if (parsed) this.handlers.get(parsed.domain)?.(parsed.event);
    });
  }

  static async watch(virsh: Virsh): Promise<DomainEvents> {
    const child = spawnWatcher(['-q', '-c', virsh.uri, 'event', '--loop', '--all']);
    const events = new DomainEvents(child);
    // virsh registers its callbacks once connected; a moment is enough on loopback or a LAN.
    await new Promise((resolve) => setTimeout(resolve, 300));
    return events;
  }

  on(domain: string, handler: (event: LifecycleEvent) => void): void {
    this.handlers.set(domain, handler);
  }

  /** Stops listening for this domain; the watcher ends with its last domain. */
  off(domain: string): void {
    this.handlers.delete(domain);
    if (this.handlers.size === 0) this.close();
  }

  close(): void {
    this.child.kill('SIGTERM');
  }
}

const MONITOR_LINE = /^event (\S+) at \S+ for domain '([^']+)': (.*)$/;

/** Parses one line of `virsh qemu-monitor-event` output: the QMP event and its data. */
export function parseMonitorLine(line: string): { event: string; data: Record<string, unknown> } | undefined {
  const m = MONITOR_LINE.exec(line.trim());
  if (!m) return undefined;
  let data: Record<string, unknown> = {};
  try {
    data = m[3] === '<null>' ? {} : (JSON.parse(m[3]) as Record<string, unknown>);
  } catch {
    // not JSON: keep the event without data
  }
  return { event: m[1], data };
}

/**
 * QEMU's own events for one domain (`virsh qemu-monitor-event`): libvirt's lifecycle events
 * report a guest's reboot under -no-reboot and its power-off alike, QMP's SHUTDOWN reason does not.
 */
export class MonitorEvents {
  private constructor(private readonly child: ChildProcess) {}

  static watch(virsh: Virsh, domain: string, handler: (event: string, data: Record<string, unknown>) => void): MonitorEvents {
    const child = spawnWatcher(['-q', '-c', virsh.uri, 'qemu-monitor-event', '--domain', domain, '--loop']);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const parsed = parseMonitorLine(line);
      if (parsed) handler(parsed.event, parsed.data);
    });
    return new MonitorEvents(child);
  }

  close(): void {
    this.child.kill('SIGTERM');
  }
}

/** A long-running virsh that dies with this process, even by SIGKILL (setpriv --pdeathsig). */
function spawnWatcher(args: string[]): ChildProcess {
  const setpriv = findProgram('setpriv');
  const [command, argv] = setpriv ? [setpriv, ['--pdeathsig', 'KILL', '--', 'virsh', ...args]] : ['virsh', args];
  const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, LC_ALL: 'C' } });
  child.on('error', () => undefined);
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}
