import { createHash } from 'node:crypto';
import type { BuildDocument } from '@ozkit/build-document';

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** A document as guest-customize leaves it for a small Debian 12 image. */
export function debianDocument(workdir: string): BuildDocument {
  return {
    ozkit: 1,
    workdir,
    template: {
      source: { path: `${workdir}/debian12.tdl`, sha256: sha256('tdl') },
      name: 'debian12-web',
      description: 'Debian 12 with nginx',
      os: { name: 'Debian', version: '12', arch: 'x86_64', install: { type: 'url', url: 'http://mirror.example/debian/' } },
      disk: { sizeBytes: 10 * 2 ** 30 },
      packages: [],
      repositories: [],
      files: [],
      commands: [],
      precommands: [],
    },
    answer: {
      format: 'preseed',
      family: 'debian',
      path: `${workdir}/preseed.cfg`,
      sha256: sha256('answer'),
      stableSha256: sha256('stable answer'),
      kernelArgs: [],
      placement: { onIso: '/preseed.cfg', inInitrd: '/preseed.cfg' },
      marker: 'OZKIT-DONE',
      buildKey: { privateKey: `${workdir}/key`, publicKey: `${workdir}/key.pub` },
      rootPassword: { generated: true, file: `${workdir}/rootpw` },
      user: false,
      sshd: true,
    },
    media: {
      original: {
        url: 'http://mirror.example/debian/dists/bookworm/main/installer-amd64/current/images/netboot/mini.iso',
        kind: 'iso',
        path: '/cache/isos/abc.iso',
        sha256: sha256('media'),
        bytes: 1000,
        verified: null,
        fromCache: true,
      },
      boot: { method: 'iso', iso: '/cache/boot.iso', sha256: sha256('boot') },
    },
    customize: {
      image: { path: `${workdir}/debian12-web.qcow2`, format: 'qcow2', bytesBefore: 1, bytesAfter: 1, compressed: false },
      guest: { id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)', packageManager: 'apt' },
      hostKey: { type: 'ssh-ed25519', sha256: 'SHA256:x' },
      steps: [],
      seal: null,
      inventory: {
        format: 'deb',
        collectedAt: '2026-11-26T15:00:00Z',
        packages: [
          { name: 'libc6', version: '2.36', release: '9+deb12u4', arch: 'amd64', qualifiedName: 'libc6:amd64', status: 'ii' },
          { name: 'libc6', version: '2.36', release: '9+deb12u4', arch: 'i386', qualifiedName: 'libc6:i386', status: 'ii' },
          { name: 'nginx', version: '1.22.1', release: '9', arch: 'amd64', status: 'ii' },
          { name: 'openssh-server', epoch: '1', version: '9.2p1', release: '2+deb12u3', arch: 'amd64', status: 'hi' },
          { name: 'libstdc++6', version: '12.2.0', release: '14', arch: 'amd64', qualifiedName: 'libstdc++6:amd64', status: 'ii' },
          { name: 'removed-thing', version: '1.0', release: '1', arch: 'amd64', status: 'rc' },
        ] as never,
      },
    },
    stages: [],
  };
}
