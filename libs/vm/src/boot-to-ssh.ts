import { OzkitError, toOzkitError } from '@ozkit/errors';
import { ProgressBar } from '@ozkit/log';
import { HostKeyPin, waitForSsh, type SshSession } from '@ozkit/ssh';
import type { FailureReason } from './failure-evidence.js';
import { startGuest, type StartGuestOptions, type WatchedGuest } from './start-guest.js';

export interface BootToSshOptions extends StartGuestOptions {
  ssh: {
    /** Default root. */
    username?: string;
    privateKey: Buffer;
    /** Shared by every connection of one build, so a changed host key is caught. */
    hostKeys?: HostKeyPin;
    /** The `[timeouts] boot` budget: from power-on to an SSH login. */
    timeoutMs: number;
    handshakeTimeoutMs?: number;
    /** The hint when the guest refuses the key (default the SSH library's). */
    refusedKeyHint?: string;
    /** The flag that raises the boot timeout, for the hint on a timeout. */
    timeoutFlag?: string;
  };
  signal?: AbortSignal;
}

export interface SshGuest {
  guest: WatchedGuest;
  session: SshSession;
  /** Seconds from power-on to the login. */
  bootSeconds: number;
}

/**
 * The one boot path: starts the guest (its NIC forwarding a port to guest port 22), waits for an
 * SSH login with backoff, and ends the wait at once when the guest stops, panics or cannot boot.
 * Returns the guest and the session; a failure is a GuestFailure carrying the evidence
 * (console tail, screenshot), with the guest already ended. An abort ends the guest and
 * rethrows the signal's reason without evidence.
 */
export async function bootToSsh(options: BootToSshOptions): Promise<SshGuest> {
  const { logger, signal } = options;
  const description = { ...options.guest, network: withSsh(options.guest.network) };
  const guest = await startGuest({ ...options, guest: description });
  const vm = guest.vm;
  const address = vm.ssh!;
  // A TCG boot takes minutes: the wait says what the guest's console shows (a status line every 30 s in a CI log).
  const waiting = new ProgressBar(logger, { label: 'waiting for SSH', unit: 'none', statusLabel: 'console' });
  try {
    const session = await waitForSsh({
      host: address.host,
      port: address.port,
      ...(options.ssh.username ? { username: options.ssh.username } : {}),
      privateKey: options.ssh.privateKey,
      hostKeys: options.ssh.hostKeys ?? new HostKeyPin(),
      timeoutMs: options.ssh.timeoutMs,
      handshakeTimeoutMs: options.ssh.handshakeTimeoutMs ?? 15_000,
      ...(signal ? { signal } : {}),
      onAttempt: (n, e) => {
        logger.debug(`ssh attempt ${n}: ${e.message}`);
        waiting.update(0, vm.console.lastLine?.trim().slice(0, 120) ?? '');
      },
      stopIf: () => whyStopWaiting(guest),
    });
    waiting.done();
    return { guest, session, bootSeconds: guest.seconds };
  } catch (error) {
    waiting.done();
    if (signal?.aborted) {
      await guest.kill();
      throw signal.reason;
    }
    const failure = await guest.failWith(...explained(toOzkitError(error), options));
    await guest.kill();
    throw failure;
  }
}

/** The network with the SSH forward asked for (a default virtio NIC when none was described). */
function withSsh(network: BootToSshOptions['guest']['network']) {
  if (network === false) throw new OzkitError('INTERNAL', 'bootToSsh needs a network: the guest description has network: false');
  return { ...(network ?? {}), ssh: network?.ssh ?? {} };
}

/** A reason to give up before the deadline: the guest has stopped, panicked, or found nothing to boot. */
function whyStopWaiting(guest: WatchedGuest): OzkitError | undefined {
  const vm = guest.vm;
  if (vm.exitStatus) {
    const how = vm.exitStatus.signal ?? `exit ${vm.exitStatus.code}`;
    return new OzkitError('QEMU_CRASHED', `the guest stopped before SSH answered (${vm.hypervisor} ${how})`, { details: { stderr: vm.hypervisorOutput } });
  }
  const trouble = guest.trouble;
  if (trouble)
    return new OzkitError('GUEST_PANIC', `the guest failed to boot: ${trouble.line}`, {
      ...(trouble.hint ? { hint: trouble.hint } : {}),
      details: { trouble: trouble.kind },
    });
  return undefined;
}

/** The wait's error in words about the boot, with the reason for the evidence. */
function explained(error: OzkitError, options: BootToSshOptions): [OzkitError, FailureReason] {
  const seconds = Math.round(options.ssh.timeoutMs / 1000);
  if (error.code === 'TIMEOUT') {
    const flag = options.ssh.timeoutFlag ? ` (${options.ssh.timeoutFlag})` : '';
    return [
      new OzkitError('TIMEOUT', `the guest's sshd did not answer within ${seconds} s of boot (${error.message})`, {
        hint: `the console tail below shows how far the guest got; raise the boot timeout${flag} if it is merely slow (TCG is)`,
        ...(error.details ? { details: error.details } : {}),
      }),
      'timeout',
    ];
  }
  if (error.details?.reason === 'auth') {
    const hint = options.ssh.refusedKeyHint ?? error.hint;
    return [new OzkitError(error.code, error.message, { ...(hint ? { hint } : {}), details: error.details, cause: error }), 'ssh-refused'];
  }
  if (error.code === 'GUEST_PANIC') return [error, error.details?.trouble === 'no-boot' ? 'no-boot' : 'panic'];
  return [error, error.code === 'QEMU_CRASHED' ? 'crash' : 'error'];
}
