// The Debian archive the test installer is built from and the VM tests' guests install from:
// OZKIT_TEST_MIRROR, else ozkit's own setting (OZKIT_DEBIAN_MIRROR / [ozkit] debian_mirror), else the
// host's apt sources. Never a built-in host. Run directly (build.sh does), it prints the archive URL
// and the security archive URL (empty if none) on two lines; OZKIT_TEST_APT_ROOT moves the host root.
import { pathToFileURL } from 'node:url';

// Loaded here, not imported statically, so that unbuilt libraries become a clear message.
let libraries;
try {
  libraries = { ...(await import('@ozkit/config')), ...(await import('@ozkit/os-catalog')) };
} catch (error) {
  libraries = error;
}

/**
 * @param {NodeJS.ProcessEnv} env
 * @returns {{ url: string; security?: string; source: string }}
 */
export function testArchiveMirror(env = process.env) {
  const security = env.OZKIT_TEST_SECURITY_MIRROR;
  const withSecurity = (mirror) => (security === undefined ? mirror : { ...mirror, security: security.replace(/\/+$/, '') || undefined });
  if (env.OZKIT_TEST_MIRROR) return withSecurity({ url: env.OZKIT_TEST_MIRROR.replace(/\/+$/, ''), source: 'OZKIT_TEST_MIRROR' });
  if (libraries instanceof Error) throw libraries;
  const { loadConfig, archiveMirror } = libraries;
  return withSecurity(archiveMirror('debian', { setting: loadConfig({ env }).settings.debianMirror, root: env.OZKIT_TEST_APT_ROOT || '/' }));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    const mirror = testArchiveMirror();
    process.stdout.write(`${mirror.url}\n${mirror.security ?? ''}\n`);
  } catch (error) {
    const say = (line) => process.stderr.write(`test-installer: ${line}\n`);
    if (error?.code === 'ERR_MODULE_NOT_FOUND') {
      say(`cannot read the host's apt sources without ozkit's libraries (${error.message.split('\n')[0]})`);
      say('hint: run npm ci && npm run build first, or set OZKIT_TEST_MIRROR=http://<your mirror>/debian');
      process.exit(69);
    }
    say(error.message);
    say(`hint: set OZKIT_TEST_MIRROR=http://<your mirror>/debian${error.hint ? ` (or: ${error.hint})` : ''}`);
    process.exit(typeof error.exitCode === 'number' ? error.exitCode : 70);
  }
}
