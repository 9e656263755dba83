import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** The project's test installer ISO (test/installer/build.sh builds it once, then prints the cached path). */
export function testInstallerIso(root) {
  console.log('building or reusing the test installer ISO…');
  return execFileSync('bash', [join(root, 'test/installer/build.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
    .trim()
    .split('\n')
    .pop();
}
