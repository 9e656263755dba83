import { execFileSync } from 'node:child_process';

/**
 * Fails the run at once, naming the packages, when system packages the tests use are missing —
 * instead of dozens of tests failing with "spawn xorriso ENOENT".
 */
export default function checkSystemPackages(): void {
  let missing = '';
  try {
    missing = execFileSync('bash', ['-c', '. scripts/system-packages.sh && ozkit_missing_packages'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('cannot check system packages (needs bash and dpkg-query, i.e. Debian or Ubuntu); run scripts/setup.sh');
  }
  if (missing)
    throw new Error(
      `missing system packages: ${missing.split('\n').join(' ')} — run scripts/test.sh (installs them as root) or: sudo apt-get install ${missing.split('\n').join(' ')}`,
    );
}
