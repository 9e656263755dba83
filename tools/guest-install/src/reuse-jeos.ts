import { chmodSync, copyFileSync, existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Disk } from '@ozkit/build-document';
import type { Logger } from '@ozkit/log';
import type { InstallInputs } from './install-inputs.js';
import { cloneJeos, type JeosEntry } from './jeos-cache.js';

/**
 * A JEOS cache hit, no install at all: a qcow2 overlay on the cached image (or a sparse copy
 * for raw), and the key pair (and generated root password) the image was installed with.
 */
export async function reuseJeos(hit: JeosEntry, inputs: InstallInputs, started: number, logger: Logger, signal: AbortSignal): Promise<Disk> {
  const { workdir, diskPath, partialDisk, consoleLog } = inputs;
  try {
    const how = await cloneJeos(hit, partialDisk, signal);
    const privateKey = join(workdir, 'jeos-build-key');
    const publicKey = `${privateKey}.pub`;
    copyPrivate(hit.privateKey, privateKey);
    copyFileSync(hit.publicKey, publicKey);
    if (existsSync(hit.consoleLog)) copyFileSync(hit.consoleLog, consoleLog);
    // A generated root password belongs to the image, not to this build's answer file.
    let rootPassword: { generated: true; file: string } | undefined;
    if (existsSync(hit.rootPassword)) {
      rootPassword = { generated: true, file: join(workdir, 'jeos-root-password') };
      copyPrivate(hit.rootPassword, rootPassword.file);
      logger.info(`its root password is the one generated at install time: ${rootPassword.file}`);
    }
    renameSync(partialDisk, diskPath);
    logger.info(`JEOS cache hit ${hit.key.slice(0, 12)}: install skipped; ${diskPath} is ${how === 'overlay' ? 'a qcow2 overlay on' : 'a copy of'} ${hit.image}`);
    logger.info(`the image accepts the build key it was installed with: ${privateKey}`);
    return {
      path: diskPath,
      format: inputs.format,
      virtualSize: inputs.sizeBytes,
      bus: inputs.bus,
      accel: hit.meta.accel ?? 'tcg',
      installSeconds: Math.round((Date.now() - started) / 100) / 10,
      consoleLog,
      markerSeen: hit.meta.markerSeen,
      buildKey: { privateKey, publicKey },
      jeos: { key: hit.key, hit: true, path: hit.image },
      clone: how,
      ...(rootPassword ? { rootPassword } : {}),
      firmware: inputs.firmware,
    };
  } catch (error) {
    rmSync(partialDisk, { force: true });
    throw error;
  }
}

function copyPrivate(from: string, to: string): void {
  rmSync(to, { force: true });
  copyFileSync(from, to);
  chmodSync(to, 0o600);
}
