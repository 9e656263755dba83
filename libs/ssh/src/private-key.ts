import { readFile, stat } from 'node:fs/promises';
import ssh2 from 'ssh2';
import { OzkitError } from '@ozkit/errors';

/** Reads and checks an unencrypted private key file (OpenSSH or PEM format) before any connection is tried. */
export async function loadPrivateKey(path: string): Promise<Buffer> {
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (error) {
    throw new OzkitError('INPUT_MISSING', `${path}: cannot read SSH private key: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {
      hint: 'the build key comes from ks-render (answer.buildKey) or guest-install (disk.buildKey)',
    });
  }
  const parsed = ssh2.utils.parseKey(data);
  if (parsed instanceof Error) {
    const encrypted = /passphrase|encrypted/i.test(parsed.message);
    throw new OzkitError('BAD_DOCUMENT', `${path}: not a usable SSH private key: ${parsed.message}`, {
      hint: encrypted ? 'the build key must not have a passphrase' : 'expected an OpenSSH (ed25519/rsa/ecdsa) private key file',
    });
  }
  const info = await stat(path);
  if ((info.mode & 0o077) !== 0)
    throw new OzkitError('BAD_DOCUMENT', `${path}: SSH private key is readable by others (mode ${(info.mode & 0o777).toString(8)})`, {
      hint: `chmod 600 ${path}`,
    });
  return data;
}
