import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removalCommand, type RepositoryPlan } from './repository-plan.js';

/**
 * The apt removal command of persisted=no repositories, run by this host's own apt against an apt
 * root of the test's (APT_CONFIG: Dir), with list files named as apt names them.
 */
const roots: string[] = [];
afterEach(() => roots.splice(0).forEach((r) => rmSync(r, { recursive: true, force: true })));

function aptRoot(sources: Record<string, string>, lists: string[]): { root: string; env: NodeJS.ProcessEnv; listsDir: string } {
  const root = mkdtempSync(join(tmpdir(), 'ozkit-apt-removal-'));
  roots.push(root);
  for (const d of [
    'etc/apt/sources.list.d',
    'etc/apt/apt.conf.d',
    'etc/apt/preferences.d',
    'var/lib/apt/lists/partial',
    'var/cache/apt/archives/partial',
    'var/lib/dpkg',
  ])
    mkdirSync(join(root, d), { recursive: true });
  writeFileSync(join(root, 'var/lib/dpkg/status'), '');
  writeFileSync(
    join(root, 'apt.conf'),
    `Dir "${root}/";\nDir::State::status "${root}/var/lib/dpkg/status";\nAPT::Architecture "amd64";\nAcquire::Languages "none";\n`,
  );
  for (const [name, line] of Object.entries(sources)) writeFileSync(join(root, 'etc/apt/sources.list.d', name), `${line}\n`);
  const listsDir = join(root, 'var/lib/apt/lists');
  for (const f of lists) writeFileSync(join(listsDir, f), 'Package: x\n');
  return { root, env: { ...process.env, APT_CONFIG: join(root, 'apt.conf') }, listsDir };
}

const plan = (root: string, name: string): RepositoryPlan =>
  ({ name, id: name, persisted: false, files: [{ path: join(root, 'etc/apt/sources.list.d', name), content: '', mode: 0o644 }] }) as unknown as RepositoryPlan;

const run = (command: string, env: NodeJS.ProcessEnv) => execFileSync('sh', ['-c', command], { env, encoding: 'utf8' });

describe('removalCommand (apt) with real apt', () => {
  it("removes the gone source, its lists and its suite's Release files, and keeps every other source's", () => {
    const { root, env, listsDir } = aptRoot(
      { 'base.list': 'deb http://a.example/debian bookworm main', 'temporary.list': 'deb http://a.example/debian bookworm-backports main' },
      [
        'a.example_debian_dists_bookworm_InRelease',
        'a.example_debian_dists_bookworm_main_binary-amd64_Packages',
        'a.example_debian_dists_bookworm-backports_InRelease',
        'a.example_debian_dists_bookworm-backports_Release',
        'a.example_debian_dists_bookworm-backports_main_binary-amd64_Packages',
      ],
    );
    run(removalCommand('apt', [plan(root, 'temporary.list')])!, env);
    expect(existsSync(join(root, 'etc/apt/sources.list.d/temporary.list'))).toBe(false);
    expect(readdirSync(listsDir).sort()).toEqual([
      'a.example_debian_dists_bookworm_InRelease',
      'a.example_debian_dists_bookworm_main_binary-amd64_Packages',
      'partial',
    ]);
  });

  it('keeps the Release file a remaining list of the same suite needs, and a list another source names too', () => {
    const { root, env, listsDir } = aptRoot(
      {
        'base.list': 'deb http://a.example/debian bookworm main',
        'again.list': 'deb http://a.example/debian bookworm main',
        'extra.list': 'deb http://a.example/debian bookworm contrib',
      },
      [
        'a.example_debian_dists_bookworm_InRelease',
        'a.example_debian_dists_bookworm_main_binary-amd64_Packages',
        'a.example_debian_dists_bookworm_contrib_binary-amd64_Packages',
      ],
    );
    run(removalCommand('apt', [plan(root, 'again.list'), plan(root, 'extra.list')])!, env);
    expect(readdirSync(listsDir).sort()).toEqual([
      'a.example_debian_dists_bookworm_InRelease',
      'a.example_debian_dists_bookworm_main_binary-amd64_Packages',
      'partial',
    ]);
  });

  it('fails when the source file cannot be removed', () => {
    const { root, env } = aptRoot({ 'base.list': 'deb http://a.example/debian bookworm main' }, []);
    const p = plan(root, 'temporary.list');
    // rm -f refuses a directory.
    mkdirSync(p.files[0].path);
    expect(() => run(removalCommand('apt', [p])!, env)).toThrow();
  });
});
