import { readFileSync } from 'node:fs';

/** The version of the package whose package.json is at `packageJsonUrl` (e.g. new URL('../package.json', import.meta.url)). */
export function packageVersion(packageJsonUrl: URL): string {
  try {
    return (JSON.parse(readFileSync(packageJsonUrl, 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}
