import { createHash } from 'node:crypto';
import { OzkitError } from '@ozkit/errors';

/** A server's host key as people compare it: algorithm + OpenSSH-style SHA256 fingerprint. */
export interface HostKey {
  type: string;
  /** `SHA256:<base64 without padding>`, as `ssh-keygen -lf` prints it. */
  sha256: string;
}

/** Reads the algorithm name (first SSH string) and fingerprints the raw key blob. */
export function hostKeyOf(blob: Buffer): HostKey {
  let type = 'unknown';
  if (blob.length >= 4) {
    const length = blob.readUInt32BE(0);
    if (length > 0 && length <= blob.length - 4) type = blob.subarray(4, 4 + length).toString('latin1');
  }
  const sha256 = 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
  return { type, sha256 };
}

/**
 * Trust on first use, for one build: the first connection records the guest's host key,
 * every later connection must present the same one (else something else answers on the port).
 */
export class HostKeyPin {
  private pinned: HostKey | undefined;

  constructor(known?: HostKey) {
    this.pinned = known;
  }

  get key(): HostKey | undefined {
    return this.pinned;
  }

  /** Records the key on first contact; afterwards returns a mismatch error instead of accepting. */
  check(offered: HostKey): OzkitError | undefined {
    if (!this.pinned) {
      this.pinned = offered;
      return undefined;
    }
    if (this.pinned.type === offered.type && this.pinned.sha256 === offered.sha256) return undefined;
    return new OzkitError(
      'SERVICE_UNAVAILABLE',
      `SSH host key changed during the build: expected ${this.pinned.type} ${this.pinned.sha256}, the server offered ${offered.type} ${offered.sha256}`,
      {
        hint: 'something else answers on the forwarded port (another VM, or the guest regenerated its keys); refusing to send commands to it',
        details: { expectedHostKey: this.pinned, offeredHostKey: offered },
      },
    );
  }
}
