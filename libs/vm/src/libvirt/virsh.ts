import { execa } from 'execa';
import { OzkitError } from '@ozkit/errors';

export interface VirshResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** libvirt's own words from virsh's stderr: its `error:` lines, without the prefix. */
export function libvirtMessage(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const errors = lines.filter((l) => l.startsWith('error:')).map((l) => l.slice('error:'.length).trim());
  return (errors.length ? errors : lines).join(': ') || 'no message';
}

const UNREACHABLE =
  /failed to connect to the hypervisor|Cannot recv data|End of file while reading data|Connection refused|No route to host|Could not resolve hostname|Permission denied \(publickey|Host key verification failed/i;

/** Runs `virsh -c URI …` and turns libvirt's failures into ozkit's errors. */
export class Virsh {
  constructor(readonly uri: string) {}

  /** Runs a command; a non-zero exit is returned, not thrown (the caller knows what it means). */
  async tryRun(args: string[], options: { input?: string; signal?: AbortSignal; timeoutMs?: number } = {}): Promise<VirshResult> {
    let result;
    try {
      result = await execa('virsh', ['-q', '-c', this.uri, ...args], {
        reject: false,
        ...(options.input !== undefined ? { input: options.input } : { stdin: 'ignore' }),
        ...(options.signal ? { cancelSignal: options.signal } : {}),
        timeout: options.timeoutMs ?? 120_000,
        env: { LC_ALL: 'C' },
      });
    } catch (error) {
      throw missingVirsh(error);
    }
    if ((result as { code?: string }).code === 'ENOENT' || (result.failed && /ENOENT/.test(String(result.message)) && result.exitCode === undefined)) {
      throw missingVirsh(result);
    }
    const stderr = String(result.stderr ?? '');
    if (result.exitCode !== 0 && UNREACHABLE.test(stderr)) {
      throw new OzkitError('HYPERVISOR_UNREACHABLE', `cannot reach the hypervisor at ${this.uri}: ${libvirtMessage(stderr)}`, {
        hint: 'check that libvirtd runs there and that this user may connect (virsh -c URI list), or drop --connect to run QEMU directly',
      });
    }
    if (result.timedOut) {
      throw new OzkitError('TIMEOUT', `virsh ${args[0]} on ${this.uri} did not answer within ${Math.round((options.timeoutMs ?? 120_000) / 1000)} s`);
    }
    return { stdout: String(result.stdout ?? ''), stderr, exitCode: result.exitCode ?? 1 };
  }

  /** Runs a command; a failure is an error of `code` with virsh's message. */
  async run(args: string[], options: { input?: string; signal?: AbortSignal; timeoutMs?: number; code?: 'DOMAIN_FAILED' | 'IO' } = {}): Promise<string> {
    const result = await this.tryRun(args, options);
    if (result.exitCode !== 0) {
      throw new OzkitError(options.code ?? 'DOMAIN_FAILED', `virsh ${args[0]} failed on ${this.uri}: ${libvirtMessage(result.stderr)}`, {
        details: { virshStderr: result.stderr },
      });
    }
    return result.stdout;
  }
}

function missingVirsh(cause: unknown): OzkitError {
  return new OzkitError('PROGRAM_MISSING', 'virsh is not installed (needed for a libvirt connection)', {
    hint: 'apt-get install libvirt-clients, or drop --connect / [libvirt] uri to run QEMU directly',
    cause,
  });
}
