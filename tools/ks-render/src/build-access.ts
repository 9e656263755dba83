import { randomBytes } from 'node:crypto';
import ssh2 from 'ssh2';
import { OzkitError } from '@ozkit/errors';
import type { AnswerFormat } from '@ozkit/build-document';
import type { BuildAccess } from './answer-context.js';

export interface BuildKeyPair {
  /** OpenSSH private key text (goes to a 0600 file only). */
  privateKey: string;
  /** One `ssh-ed25519 AAAA… comment` line. */
  publicKey: string;
}

/** A random id that ties the marker, the key comment and the logs of one build together. */
export function newBuildId(): string {
  return randomBytes(8).toString('hex');
}

/** ssh-ed25519 public blob: string "ssh-ed25519" (4 + 11 bytes) + string key (4 + 32 bytes). */
const ED25519_BLOB_BYTES = 51;

function wellFormed(pair: { private: string; public: string }): boolean {
  const blob = Buffer.from(pair.public.trim().split(/\s+/)[1] ?? '', 'base64');
  return blob.length === ED25519_BLOB_BYTES && !(ssh2.utils.parseKey(pair.private) instanceof Error);
}

/**
 * ssh2's generator drops a leading zero byte of the ed25519 public key (about one key in 256),
 * which yields a 31-byte key that neither ssh2 nor OpenSSH can load: such pairs are discarded.
 */
export function generateBuildKey(buildId: string): BuildKeyPair {
  for (let attempt = 0; attempt < 16; attempt++) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment: `ozkit-build-${buildId}` });
    if (wellFormed(pair)) return { privateKey: pair.private, publicKey: pair.public.trim() };
  }
  throw new OzkitError('INTERNAL', 'could not generate a well-formed ed25519 build key', { hint: 'this is a bug in ozkit; report it' });
}

export function buildAccessFor(format: AnswerFormat, buildId: string, publicKey: string, serialDevice = 'ttyS0'): BuildAccess {
  return {
    publicKey,
    serialDevice,
    marker: `OZKIT-INSTALL-COMPLETE ${buildId}`,
    failedMarker: `OZKIT-INSTALL-FAILED ${buildId}`,
    loadedMarker: `OZKIT-${format.toUpperCase()}-LOADED ${buildId}`,
  };
}
