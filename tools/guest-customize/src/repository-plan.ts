import { posix } from 'node:path';
import type { TemplateFile, TemplateRepository } from '@ozkit/build-document';
import type { PackageManager } from './guest-os.js';
import { shellQuote } from './shell-quote.js';

export interface GuestFileWrite {
  path: string;
  content: string | Buffer;
  mode: number;
}

/** How one TDL repository becomes configuration on a guest. */
export interface RepositoryPlan {
  name: string;
  /** dnf/yum section id, zypper alias, apt list file stem. */
  id: string;
  files: GuestFileWrite[];
  /** apt only: the suite packages can be pinned to with `name/suite`. */
  suite?: string;
  /** TDL files uploaded here already because the repository needs them (signing keys). */
  keyFile?: string;
  persisted: boolean;
}

export interface RepositorySetup {
  repositories: RepositoryPlan[];
  /** Fetches the new repositories' metadata; fails when one of them is unreachable. */
  refresh: string;
}

export interface PlanContext {
  /** os-release VERSION_CODENAME, for apt lines given as a bare URL. */
  codename?: string;
  /** The TDL's files: signing keys for apt repositories are picked from them. */
  files: TemplateFile[];
}

/** A name usable as a file stem and repo id (Oz turns spaces into `_`). */
export function repositoryId(name: string): string {
  return name
    .trim()
    .replace(/\s+/g, '_')
    .replace(/[^A-Za-z0-9_.:-]/g, '_');
}

const APT_KEY_DIRS = ['/etc/apt/keyrings', '/usr/share/keyrings', '/etc/apt/trusted.gpg.d'];

/** A TDL file that is the signing key of apt repository `id`: `<keyring dir>/<id>.gpg|.asc`. */
export function aptKeyFileFor(id: string, files: TemplateFile[]): string | undefined {
  return files.find((f) => APT_KEY_DIRS.includes(posix.dirname(f.name)) && /^(.*)\.(gpg|asc)$/.exec(posix.basename(f.name))?.[1] === id)?.name;
}

/**
 * The apt source line for a TDL repository. `<url>` may be a whole line (`deb [opts] URI suite
 * comp…`, as Oz users write it), `URI suite comp…`, or a bare URI (then the guest's codename and
 * `main`). Unsigned repositories get `trusted=yes`; signed ones `signed-by=` their key file when
 * the TDL carries one, else the guest's trusted keyring applies.
 */
export function aptSourceLine(repo: TemplateRepository, context: { codename?: string; keyFile?: string }): { line: string; suite: string } {
  let words = repo.url.trim().split(/\s+/);
  let type = 'deb';
  if (words[0] === 'deb' || words[0] === 'deb-src') {
    type = words[0];
    words = words.slice(1);
  }
  let options: string[] = [];
  if (words[0]?.startsWith('[')) {
    const end = words.findIndex((w) => w.endsWith(']'));
    options = words
      .slice(0, end + 1)
      .join(' ')
      .replace(/^\[|\]$/g, '')
      .split(/\s+/)
      .filter(Boolean);
    words = words.slice(end + 1);
  }
  const [uri, suite = context.codename ?? 'stable', ...components] = words;
  const comps = components.length > 0 || suite.endsWith('/') ? components : ['main'];
  const has = (key: string) => options.some((o) => o.startsWith(key + '='));
  if (!repo.signed && !has('trusted')) options.push('trusted=yes');
  if (repo.signed && context.keyFile && !has('signed-by')) options.push(`signed-by=${context.keyFile}`);
  const opts = options.length ? ` [${options.join(' ')}]` : '';
  return { line: `${type}${opts} ${uri} ${suite}${comps.length ? ' ' + comps.join(' ') : ''}`, suite };
}

function ini(section: string, entries: [string, string | number][]): string {
  return `[${section}]\n` + entries.map(([k, v]) => `${k}=${v}`).join('\n') + '\n';
}

export function planRepositories(repos: TemplateRepository[], manager: PackageManager, context: PlanContext): RepositorySetup {
  const plans = repos.map((repo): RepositoryPlan => {
    const id = repositoryId(repo.name);
    const base = { name: repo.name, id, persisted: repo.persisted };
    switch (manager) {
      case 'apt': {
        const keyFile = repo.signed ? aptKeyFileFor(id, context.files) : undefined;
        const { line, suite } = aptSourceLine(repo, { codename: context.codename, keyFile });
        const files: GuestFileWrite[] = [{ path: `/etc/apt/sources.list.d/${id}.list`, content: `# ozkit: TDL repository "${repo.name}"\n${line}\n`, mode: 0o644 }];
        const uri = line.split(/\s+/).find((w) => /^[a-z+]+:\/\//.test(w));
        if (!repo.sslverify && uri?.startsWith('https://')) {
          const host = new URL(uri).host;
          files.push({
            path: `/etc/apt/apt.conf.d/80ozkit-${id}`,
            content: `Acquire::https::${host}::Verify-Peer "false";\nAcquire::https::${host}::Verify-Host "false";\n`,
            mode: 0o644,
          });
        }
        return { ...base, files, suite, ...(keyFile ? { keyFile } : {}) };
      }
      case 'dnf':
      case 'yum':
        return {
          ...base,
          files: [
            {
              path: `/etc/yum.repos.d/${id}.repo`,
              content: ini(id, [
                ['name', repo.name],
                ['baseurl', repo.url.trim()],
                ['enabled', 1],
                // Oz sets skip_if_unavailable=1, which hides a dead repository until a package is missing.
                ['skip_if_unavailable', 0],
                ['gpgcheck', repo.signed ? 1 : 0],
                ['sslverify', repo.sslverify ? 1 : 0],
              ]),
              mode: 0o644,
            },
          ],
        };
      case 'zypper':
        return {
          ...base,
          files: [
            {
              path: `/etc/zypp/repos.d/${id}.repo`,
              content: ini(id, [
                ['name', repo.name],
                ['enabled', 1],
                ['autorefresh', 1],
                [
                  'baseurl',
                  repo.sslverify || !repo.url.startsWith('https:') ? repo.url.trim() : `${repo.url.trim()}${repo.url.includes('?') ? '&' : '?'}ssl_verify=no`,
                ],
                ['type', 'rpm-md'],
                ['gpgcheck', repo.signed ? 1 : 0],
              ]),
              mode: 0o644,
            },
          ],
        };
    }
  });
  return {
    repositories: plans,
    refresh: refreshCommand(
      manager,
      plans.map((p) => p.id),
    ),
  };
}

/** Metadata refresh that fails (non-zero) when any repository cannot be fetched. */
export function refreshCommand(manager: PackageManager, ids: string[]): string {
  switch (manager) {
    case 'apt':
      // apt-get update only warns about unreachable sources unless told otherwise.
      return 'DEBIAN_FRONTEND=noninteractive apt-get update -o APT::Update::Error-Mode=any';
    case 'dnf':
      return `dnf -y makecache ${ids.map((id) => `--repo=${shellQuote(id)}`).join(' ')}`.trim();
    case 'yum':
      return `yum -y makecache ${ids.length ? `--disablerepo='*' ${ids.map((id) => `--enablerepo=${shellQuote(id)}`).join(' ')}` : ''}`.trim();
    case 'zypper':
      return `zypper --non-interactive --gpg-auto-import-keys refresh ${ids.map(shellQuote).join(' ')}`.trim();
  }
}

/**
 * apt: the removed sources' package lists go with them, found by what `apt-get indextargets`
 * names before and after the removal (a list another source still uses stays, and so does a
 * Release file another list of the same suite needs). A second `apt-get update` did the same
 * under TCG in 29 s against 9 s, fetching every other source again and rebuilding a cache the
 * seal's `apt-get clean` throws away. apt before 1.1 has no indextargets: it gets the update.
 */
function aptRemoval(rm: string): string {
  const targets = `apt-get indextargets --format '$(FILENAME) $(METAKEY)'`;
  // Second file (before) minus first (after): each gone list, then its suite's Release files
  // unless a kept list has the same prefix (FILENAME = prefix + METAKEY with / as _).
  const gone = [
    'function prefix(f, k) { gsub("/", "_", k); return substr(f, length(f) - length(k) + 1) == k ? substr(f, 1, length(f) - length(k)) : "" }',
    'NR == FNR { kept[$1] = 1; keptPrefix[prefix($1, $2)] = 1; next }',
    '!($1 in kept) { print $1; p = prefix($1, $2); if (p != "" && !(p in keptPrefix) && !(p in done)) { done[p] = 1; print p "InRelease"; print p "Release"; print p "Release.gpg" } }',
  ].join('\n');
  return [
    'before=$(mktemp) && after=$(mktemp) || exit 1',
    `if ${targets} > "$before" 2>/dev/null; then`,
    `  ${rm} && ${targets} > "$after" && awk '${gone}' "$after" "$before" | xargs -r rm -f; status=$?`,
    'else',
    `  ${rm} && DEBIAN_FRONTEND=noninteractive apt-get update; status=$?`,
    'fi',
    'rm -f "$before" "$after"',
    'exit $status',
  ].join('\n');
}

/** Removes the repositories with persisted=no (after the commands ran), refreshing metadata after. */
export function removalCommand(manager: PackageManager, plans: RepositoryPlan[]): string | undefined {
  const gone = plans.filter((p) => !p.persisted);
  if (gone.length === 0) return undefined;
  const files = gone.flatMap((p) => p.files.map((f) => f.path));
  const rm = `rm -f ${files.map(shellQuote).join(' ')}`;
  switch (manager) {
    case 'apt':
      return aptRemoval(rm);
    case 'dnf':
    case 'yum':
      return `${rm} && ${manager} clean metadata`;
    case 'zypper':
      return `${rm} && zypper --non-interactive clean --all`;
  }
}
