import { posix } from 'node:path';
import { OzkitError } from '@ozkit/errors';
import type { TemplatePackage } from '@ozkit/build-document';
import type { PackageManager } from './guest-os.js';
import type { RepositoryPlan } from './repository-plan.js';
import { shellQuote, splitArguments } from './shell-quote.js';

/** A package file to put on the guest before the transaction (a `<file>` given as a URL). */
export interface PackageFileUpload {
  url: string;
  guestPath: string;
}

export interface PackageTransaction {
  command: string;
  uploads: PackageFileUpload[];
}

export const PACKAGE_FILE_DIR = '/var/tmp/ozkit-packages';

const URL_PATTERN = /^(https?|file):\/\//;

/**
 * All TDL packages in ONE package-manager transaction (as Oz does), but honouring what Oz
 * ignores: `<file>` installs that package file (a URL is fetched on the host and uploaded; a
 * plain path is taken as a path on the guest), `<repository>` names a TDL repository the package
 * must come from (apt: `name/suite`; dnf/yum: that repository is explicitly enabled; zypper:
 * `alias:name`), and `<arguments>` are added to the transaction's command line.
 */
export function planPackageTransaction(packages: TemplatePackage[], manager: PackageManager, repositories: RepositoryPlan[]): PackageTransaction | undefined {
  if (packages.length === 0) return undefined;
  const uploads: PackageFileUpload[] = [];
  const specs: string[] = [];
  const extraArgs: string[] = [];
  const enable = new Set<string>();
  for (const pkg of packages) {
    if (pkg.arguments) {
      try {
        extraArgs.push(...splitArguments(pkg.arguments));
      } catch (error) {
        throw new OzkitError('BAD_TDL', `package ${pkg.name}: <arguments>: ${(error as Error).message}`);
      }
    }
    if (pkg.file) {
      if (URL_PATTERN.test(pkg.file)) {
        const base = posix.basename(new URL(pkg.file).pathname) || `${pkg.name}.pkg`;
        const guestPath = posix.join(PACKAGE_FILE_DIR, base);
        uploads.push({ url: pkg.file, guestPath });
        specs.push(guestPath);
      } else if (posix.isAbsolute(pkg.file)) specs.push(pkg.file);
      else throw new OzkitError('BAD_TDL', `package ${pkg.name}: <file> must be a URL or an absolute path on the guest, not "${pkg.file}"`);
      continue;
    }
    if (pkg.repository) {
      const repo = repositories.find((r) => r.name === pkg.repository || r.id === pkg.repository);
      if (!repo)
        throw new OzkitError('BAD_TDL', `package ${pkg.name}: <repository>${pkg.repository}</repository> is not one of the TDL's repositories`, {
          hint: repositories.length ? `known: ${repositories.map((r) => r.name).join(', ')}` : 'add it under <repositories>',
        });
      if (manager === 'apt') specs.push(repo.suite ? `${pkg.name}/${repo.suite}` : pkg.name);
      else if (manager === 'zypper') specs.push(`${repo.id}:${pkg.name}`);
      else {
        enable.add(repo.id);
        specs.push(pkg.name);
      }
      continue;
    }
    specs.push(pkg.name);
  }
  const words = specs.map(shellQuote);
  const args = extraArgs.map(shellQuote);
  let command: string;
  switch (manager) {
    case 'apt':
      command = [
        'DEBIAN_FRONTEND=noninteractive apt-get install -y',
        '-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold -o Dpkg::Use-Pty=0',
        ...args,
        ...words,
      ].join(' ');
      break;
    case 'dnf':
    case 'yum':
      command = [`${manager} -y install`, ...[...enable].map((id) => `--enablerepo=${shellQuote(id)}`), ...args, ...words].join(' ');
      break;
    case 'zypper':
      command = ['zypper --non-interactive install', ...args, ...words].join(' ');
      break;
  }
  return { command, uploads };
}
