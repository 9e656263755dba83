import { describe, expect, it } from 'vitest';
import type { TemplateRepository } from '@ozkit/build-document';
import { aptSourceLine, planRepositories, refreshCommand, removalCommand } from './repository-plan.js';
import { planPackageTransaction } from './package-transaction.js';

const repo = (over: Partial<TemplateRepository>): TemplateRepository => ({
  name: 'extra',
  url: 'http://mirror.example/debian',
  signed: false,
  persisted: true,
  sslverify: false,
  ...over,
});

describe('apt source lines', () => {
  it('completes a bare URI with the guest codename and main, trusted when unsigned', () => {
    expect(aptSourceLine(repo({}), { codename: 'bookworm' })).toEqual({ line: 'deb [trusted=yes] http://mirror.example/debian bookworm main', suite: 'bookworm' });
  });
  it('keeps a whole line as Oz users write it, adding signed-by for a signed repository with a key file', () => {
    const r = repo({ url: 'deb http://mirror.example/debian bookworm-backports main contrib', signed: true });
    expect(aptSourceLine(r, { keyFile: '/etc/apt/keyrings/extra.gpg' }).line).toBe(
      'deb [signed-by=/etc/apt/keyrings/extra.gpg] http://mirror.example/debian bookworm-backports main contrib',
    );
    expect(aptSourceLine(r, {}).line).toBe('deb http://mirror.example/debian bookworm-backports main contrib');
  });
  it('keeps existing options and flat repositories', () => {
    expect(aptSourceLine(repo({ url: 'deb [arch=amd64] http://x.example/repo ./' }), {}).line).toBe('deb [arch=amd64 trusted=yes] http://x.example/repo ./');
  });
});

describe('planRepositories', () => {
  const repos = [
    repo({ name: 'my repo', url: 'https://pkgs.example.com/debian bookworm main', persisted: false }),
    repo({ name: 'signed', url: 'http://mirror.example/debian bookworm-updates main', signed: true, sslverify: true }),
  ];
  const files = [{ name: '/etc/apt/keyrings/signed.asc', type: 'raw' as const, content: '-----BEGIN PGP…' }];

  it('writes sources.list.d files, an sslverify=no snippet for https, picks the key file', () => {
    const setup = planRepositories(repos, 'apt', { codename: 'bookworm', files });
    expect(setup.repositories.map((r) => r.files.map((f) => f.path))).toEqual([
      ['/etc/apt/sources.list.d/my_repo.list', '/etc/apt/apt.conf.d/80ozkit-my_repo'],
      ['/etc/apt/sources.list.d/signed.list'],
    ]);
    expect(String(setup.repositories[0].files[1].content)).toContain('Acquire::https::pkgs.example.com::Verify-Peer "false";');
    expect(setup.repositories[1].keyFile).toBe('/etc/apt/keyrings/signed.asc');
    expect(String(setup.repositories[1].files[0].content)).toContain(
      'deb [signed-by=/etc/apt/keyrings/signed.asc] http://mirror.example/debian bookworm-updates main',
    );
    expect(setup.refresh).toContain('APT::Update::Error-Mode=any');
    // What it does to a real apt: apt-repository-removal.test.ts.
    expect(removalCommand('apt', setup.repositories)).toContain('rm -f /etc/apt/sources.list.d/my_repo.list /etc/apt/apt.conf.d/80ozkit-my_repo && ');
  });

  it('writes .repo files with gpgcheck/sslverify for dnf and checks only the new repositories', () => {
    const setup = planRepositories([repo({ name: 'epel', url: 'https://dl.example/epel/9/x86_64/', signed: true, sslverify: true })], 'dnf', { files: [] });
    expect(setup.repositories[0].files[0]).toEqual({
      path: '/etc/yum.repos.d/epel.repo',
      content: '[epel]\nname=epel\nbaseurl=https://dl.example/epel/9/x86_64/\nenabled=1\nskip_if_unavailable=0\ngpgcheck=1\nsslverify=1\n',
      mode: 0o644,
    });
    expect(setup.refresh).toBe('dnf -y makecache --repo=epel');
    expect(refreshCommand('yum', ['a'])).toBe("yum -y makecache --disablerepo='*' --enablerepo=a");
    expect(removalCommand('dnf', setup.repositories)).toBeUndefined();
  });

  it('writes zypper repo files, turning sslverify=no into ssl_verify=no', () => {
    const setup = planRepositories([repo({ name: 'oss', url: 'https://download.example/oss' })], 'zypper', { files: [] });
    expect(String(setup.repositories[0].files[0].content)).toContain('baseurl=https://download.example/oss?ssl_verify=no');
  });
});

describe('planPackageTransaction', () => {
  const apt = planRepositories([repo({ name: 'backports', url: 'http://mirror.example/debian bookworm-backports main' })], 'apt', { files: [] }).repositories;

  it('puts every package in one apt transaction, honouring repository, file and arguments', () => {
    const t = planPackageTransaction(
      [
        { name: 'tree' },
        { name: 'htop', repository: 'backports' },
        { name: 'local', file: 'http://files.example/pool/local_1.0_all.deb' },
        { name: 'jq', arguments: '--no-install-recommends' },
      ],
      'apt',
      apt,
    )!;
    expect(t.command).toBe(
      'DEBIAN_FRONTEND=noninteractive apt-get install -y -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold -o Dpkg::Use-Pty=0 --no-install-recommends tree htop/bookworm-backports /var/tmp/ozkit-packages/local_1.0_all.deb jq',
    );
    expect(t.uploads).toEqual([{ url: 'http://files.example/pool/local_1.0_all.deb', guestPath: '/var/tmp/ozkit-packages/local_1.0_all.deb' }]);
  });

  it('enables the named repository for dnf and quotes odd names', () => {
    const repos = planRepositories([repo({ name: 'epel' })], 'dnf', { files: [] }).repositories;
    expect(planPackageTransaction([{ name: 'a b', repository: 'epel' }, { name: 'vim' }], 'dnf', repos)!.command).toBe("dnf -y install --enablerepo=epel 'a b' vim");
  });

  it('refuses a repository the TDL does not define and an unbalanced quote', () => {
    expect(() => planPackageTransaction([{ name: 'x', repository: 'nope' }], 'apt', apt)).toThrow(/not one of the TDL's repositories/);
    expect(() => planPackageTransaction([{ name: 'x', arguments: '--opt "open' }], 'apt', apt)).toThrow(/unterminated/);
    expect(planPackageTransaction([], 'apt', apt)).toBeUndefined();
  });
});
