/** The Debian archive the test installer and the VM tests use (see archive-mirror.mjs). */
export function testArchiveMirror(env?: NodeJS.ProcessEnv): { url: string; security?: string; source: string };
