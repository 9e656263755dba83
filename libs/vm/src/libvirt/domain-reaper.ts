import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { Writable } from 'node:stream';

/**
 * A detached watcher that ends a domain and deletes its volumes if this process dies without
 * doing it — even by SIGKILL: it reads a pipe from us, and end of file without "done" means we
 * are gone. It ignores the signals a terminal sends to the whole process group, so a Ctrl-C
 * reaches the tool (which cleans up and says "done") but not the reaper.
 */
export class DomainReaper {
  private readonly child: ChildProcess;
  private readonly input: Writable & { unref?: () => void };
  private finished = false;

  constructor(uri: string, domain: string, pool: string | undefined) {
    const script = [
      `trap '' INT TERM HUP QUIT`,
      `vols=''`,
      `while IFS= read -r line; do case "$line" in done) exit 0 ;; vol\\ *) vols="$vols \${line#vol }" ;; esac; done`,
      `virsh -q -c "$1" destroy "$2" >/dev/null 2>&1`,
      `if [ -n "$3" ] && [ -n "$vols" ]; then virsh -q -c "$1" pool-refresh "$3" >/dev/null 2>&1; for v in $vols; do virsh -q -c "$1" vol-delete --pool "$3" "$v" >/dev/null 2>&1; done; fi`,
    ].join('\n');
    // detached: its own session, so a terminal's Ctrl-C does not reach it. Not via setsid(1): that forks,
    // and Node closes our end of the pipe as soon as its direct child exits.
    this.child = spawn('sh', ['-c', script, 'ozkit-reaper', uri, domain, pool ?? ''], {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true,
    });
    this.child.on('error', () => undefined);
    this.child.unref();
    this.input = this.child.stdin! as Writable & { unref?: () => void };
    this.input.on('error', () => undefined);
    // The pipe must not keep the tool alive; it only has to exist while the tool does.
    (this.input as unknown as { unref?: () => void }).unref?.();
  }

  /** A volume the reaper deletes if the tool dies. */
  watchVolume(name: string): void {
    if (!this.finished) this.input.write(`vol ${name}\n`);
  }

  /** The tool cleaned up itself: the reaper leaves without doing anything. */
  done(): void {
    if (this.finished) return;
    this.finished = true;
    this.input.end('done\n');
  }
}

/** A short, stable tag of this machine, so names made here are told from names made elsewhere. */
export function hostTag(): string {
  return createHash('sha256').update(hostname()).digest('hex').slice(0, 4);
}

/** `ozkit-<build>-<stage>-<host tag><pid>-<n>`: readable, unique per tool run and per guest. */
export function domainName(build: string, stage: string, serial: number): string {
  const clean = (s: string, max: number) =>
    s
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, max) || 'x';
  return `ozkit-${clean(build, 40)}-${clean(stage, 24)}-${hostTag()}${process.pid}-${serial}`;
}

const NAME_OWNER = /^ozkit-.*-([0-9a-f]{4})([0-9]+)-[0-9]+(?:-|$)/;

/** The host tag and pid a domain or volume name was made by, if it is one of ours. */
export function ownerOfName(name: string): { host: string; pid: number } | undefined {
  const m = NAME_OWNER.exec(name);
  return m ? { host: m[1], pid: Number(m[2]) } : undefined;
}

/** True when a process of that pid runs on this machine. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
