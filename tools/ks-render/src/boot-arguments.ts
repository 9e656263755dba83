import type { Answer, AnswerFormat, OsFamily } from '@ozkit/build-document';
import { SERIAL_CONSOLE } from './answer-context.js';

/**
 * How iso-fetch points each installer at the answer file (`answer.locator`), per format and
 * family; `{url}` in `url` stands for an http URL the guest can reach.
 */
export interface AnswerLocator {
  /** Arguments when the file is at `placement.onIso` on the boot ISO. */
  iso: string[];
  /** Arguments when it is at `placement.inInitrd` in the initrd ([] = the installer looks there by itself). */
  initrd: string[];
  /** Arguments when it is served over http. */
  url: string[];
  /** Anaconda's boot-option prefix for inst.repo / inst.stage2 ('' for non-anaconda installers). */
  optionPrefix: string;
  /** autoinstall only: a second read-only volume labelled CIDATA holding user-data and meta-data also works. */
  cidata?: { label: string; args: string[] };
}

export interface BootFacts {
  kernelArgs: string[];
  placement: Answer['placement'];
  locator: AnswerLocator;
}

export function bootFactsFor(format: AnswerFormat, family: OsFamily, serialConsole: string = SERIAL_CONSOLE): BootFacts {
  const CONSOLE = ['console=tty0', `console=${serialConsole}`];
  switch (format) {
    case 'kickstart':
      return {
        kernelArgs: [...CONSOLE, 'inst.text'],
        placement: { onIso: '/ks.cfg', inInitrd: '/ks.cfg' },
        // inst.ks works from RHEL 7 and Fedora 19 on; RHEL 9 / Fedora 34 dropped the bare ks=.
        locator: { iso: ['inst.ks=cdrom:/dev/cdrom:/ks.cfg'], initrd: ['inst.ks=file:/ks.cfg'], url: ['inst.ks={url}'], optionPrefix: 'inst.' },
      };
    case 'preseed': {
      const ubuntu = family === 'ubuntu';
      return {
        kernelArgs: ubuntu
          ? [...CONSOLE, 'priority=critical', 'locale=en_US.UTF-8', 'console-setup/ask_detect=false', 'keyboard-configuration/layoutcode=us']
          : [...CONSOLE, 'priority=critical', 'locale=en_US.UTF-8', 'keymap=us'],
        placement: { onIso: '/preseed/ozkit.seed', inInitrd: '/preseed.cfg' },
        locator: {
          iso: [ubuntu ? 'preseed/file=/cdrom/preseed/ozkit.seed' : 'file=/cdrom/preseed/ozkit.seed'],
          // d-i reads /preseed.cfg from its initrd without being told; auto=true there made it ask for a URL.
          initrd: [],
          url: ['auto=true', 'url={url}'],
          optionPrefix: '',
        },
      };
    }
    case 'autoinstall':
      return {
        kernelArgs: [...CONSOLE],
        // user-data with meta-data beside it in /nocloud/. The live installer's root is the ISO's
        // squashfs, so files appended to the initrd are not seen by cloud-init: a kernel boot still
        // needs the ISO (or a CIDATA volume, see locator.cidata); inInitrd only mirrors onIso.
        placement: { onIso: '/nocloud/user-data', inInitrd: '/nocloud/user-data' },
        locator: {
          iso: ['autoinstall', 'ds=nocloud;s=/cdrom/nocloud/'],
          initrd: [],
          url: ['autoinstall', 'ds=nocloud-net;s={url}'],
          optionPrefix: '',
          cidata: { label: 'CIDATA', args: ['autoinstall', 'ds=nocloud'] },
        },
      };
    case 'autoyast':
      return {
        kernelArgs: [...CONSOLE, 'textmode=1'],
        placement: { onIso: '/autoinst.xml', inInitrd: '/autoinst.xml' },
        locator: { iso: ['autoyast=device://sr0/autoinst.xml'], initrd: ['autoyast=file:///autoinst.xml'], url: ['autoyast={url}'], optionPrefix: '' },
      };
  }
}
