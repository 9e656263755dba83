import { randomBytes } from 'node:crypto';
import ssh2 from 'ssh2';
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

export function generateBuildKey(buildId: string): BuildKeyPair {
  const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment: `ozkit-build-${buildId}` });
  return { privateKey: pair.private, publicKey: pair.public.trim() };
}

export function buildAccessFor(format: AnswerFormat, buildId: string, publicKey: string): BuildAccess {
  return {
    publicKey,
    marker: `OZKIT-INSTALL-COMPLETE ${buildId}`,
    failedMarker: `OZKIT-INSTALL-FAILED ${buildId}`,
    loadedMarker: `OZKIT-${format.toUpperCase()}-LOADED ${buildId}`,
  };
}
