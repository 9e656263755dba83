import type { ChecksumKind } from '@ozkit/build-document';
import { urlScheme } from './content-url.js';

const HEX_LENGTH: Record<ChecksumKind, number> = { md5: 32, sha1: 40, sha256: 64 };

/** `value` undefined: explicitly no checksum (`none`, as Packer writes it). */
export type ChecksumResult = { ok: true; value: string | undefined } | { ok: false; message: string };

/**
 * The value of `<md5sum>`/`<sha1sum>`/`<sha256sum>`: Oz's URL of a SUMS file (http, https or
 * file URL, or an absolute path), or an inline digest as Packer writes it, `sha256:<hex>`
 * (a bare hex digest of the right length is read the same way). Inline digests come out
 * as `<kind>:<lowercase hex>`.
 */
export function parseChecksum(kind: ChecksumKind, text: string): ChecksumResult {
  const element = `<${kind}sum>`;
  if (text.toLowerCase() === 'none') return { ok: true, value: undefined };
  const inline = /^([A-Za-z0-9]+):([0-9a-fA-F]*)$/.exec(text);
  if (inline && !text.includes('://')) {
    const given = inline[1].toLowerCase();
    if (!(given in HEX_LENGTH)) return { ok: false, message: `${element} holds a ${given} digest: a TDL takes md5, sha1 or sha256 digests` };
    if (given !== kind) return { ok: false, message: `${element} holds a ${given} digest; put a ${given} digest in <${given}sum>, or give a ${kind} digest` };
    return hexDigest(kind, inline[2]);
  }
  if (/^[0-9a-fA-F]+$/.test(text) && text.length >= 32) return hexDigest(kind, text);
  const scheme = urlScheme(text);
  if (scheme === 'http' || scheme === 'https' || scheme === 'file' || text.startsWith('/')) return { ok: true, value: text };
  return {
    ok: false,
    message: `${element} must be the URL of a checksum file (http://, https://, file:// or an absolute path) or an inline digest such as ${kind}:<hex>`,
  };
}

function hexDigest(kind: ChecksumKind, hex: string): ChecksumResult {
  if (hex.length !== HEX_LENGTH[kind]) return { ok: false, message: `a ${kind} digest has ${HEX_LENGTH[kind]} hex digits, not ${hex.length}` };
  return { ok: true, value: `${kind}:${hex.toLowerCase()}` };
}
