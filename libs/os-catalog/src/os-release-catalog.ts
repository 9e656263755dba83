import { OzkitError } from '@ozkit/errors';
import type { AnswerFormat, OsFamily } from '@ozkit/build-document';

/**
 * Which answer-file format and which per-release syntax an `<os><name>/<version>` gets.
 * Names are the ones Oz accepts (`RHEL-9`, `CentOS-7`, `Fedora`, `Debian`, `Ubuntu`) plus the
 * ones users write today (`Rocky-9`, `AlmaLinux-9`, `CentOS-Stream-9`).
 */

export type Distro = 'rhel' | 'centos' | 'centos-stream' | 'rocky' | 'almalinux' | 'fedora' | 'debian' | 'ubuntu' | 'opensuse' | 'opensuse-tumbleweed' | 'sles';

/** Kickstart syntax facts that differ between releases (checked against the RHEL/pykickstart docs). */
export interface KickstartSyntax {
  /** `install` exists (deprecated in RHEL 8 / F29, removed in RHEL 9 / F34). */
  installCommand: boolean;
  /** RHEL 7 `auth`; `authselect` from RHEL 8 / F28 (`auth` removed in RHEL 9 / F35). */
  auth: 'auth' | 'authselect';
  /** Use the `sshkey` command (RHEL 8+, Fedora); the %post that follows adds the key on every release anyway. */
  sshkeyCommand: boolean;
  /** Boot option prefix: `inst.` (RHEL 7 accepts both; RHEL 9 / F34 dropped the bare forms). */
  optionPrefix: 'inst.';
}

export interface OsRelease {
  family: OsFamily;
  format: AnswerFormat;
  distro: Distro;
  /** Human name, e.g. "Rocky Linux 9", "Ubuntu 22.04". */
  label: string;
  major: number;
  minor?: number;
  /** Set when the version is newer than any this release knows: the newest template is used. */
  fallbackFrom?: string;
  kickstart?: KickstartSyntax;
}

const RHEL_LIKE: Record<string, { distro: Distro; label: string; majors: number[] }> = {
  rhel: { distro: 'rhel', label: 'Red Hat Enterprise Linux', majors: [7, 8, 9, 10] },
  centos: { distro: 'centos', label: 'CentOS Linux', majors: [7, 8] },
  'centos-stream': { distro: 'centos-stream', label: 'CentOS Stream', majors: [8, 9, 10] },
  rocky: { distro: 'rocky', label: 'Rocky Linux', majors: [8, 9, 10] },
  almalinux: { distro: 'almalinux', label: 'AlmaLinux', majors: [8, 9, 10] },
};

const NAME_ALIASES: Record<string, string> = {
  rhel: 'rhel',
  redhat: 'rhel',
  'red-hat-enterprise-linux': 'rhel',
  centos: 'centos',
  'centos-linux': 'centos',
  'centos-stream': 'centos-stream',
  centosstream: 'centos-stream',
  stream: 'centos-stream',
  rocky: 'rocky',
  rockylinux: 'rocky',
  'rocky-linux': 'rocky',
  alma: 'almalinux',
  almalinux: 'almalinux',
  'alma-linux': 'almalinux',
  fedora: 'fedora',
  debian: 'debian',
  ubuntu: 'ubuntu',
  opensuse: 'opensuse',
  'opensuse-leap': 'opensuse',
  leap: 'opensuse',
  'opensuse-tumbleweed': 'opensuse-tumbleweed',
  tumbleweed: 'opensuse-tumbleweed',
  sles: 'sles',
  sle: 'sles',
  'suse-linux-enterprise-server': 'sles',
};

export const FEDORA_OLDEST = 36;
export const FEDORA_NEWEST = 43;
export const DEBIAN_RELEASES: Record<number, string> = { 10: 'buster', 11: 'bullseye', 12: 'bookworm', 13: 'trixie' };
const DEBIAN_NEWEST = 13;
const UBUNTU_NEWEST_KNOWN = 25.1;

/** Every name `ks-render` knows, for error messages and --help. */
export const SUPPORTED_OS_NAMES = [
  'RHEL-7',
  'RHEL-8',
  'RHEL-9',
  'RHEL-10',
  'CentOS-7',
  'CentOS-8',
  'CentOS-Stream-8',
  'CentOS-Stream-9',
  'CentOS-Stream-10',
  'Rocky-8',
  'Rocky-9',
  'Rocky-10',
  'AlmaLinux-8',
  'AlmaLinux-9',
  'AlmaLinux-10',
  `Fedora (${FEDORA_OLDEST}-${FEDORA_NEWEST}; newer → the ${FEDORA_NEWEST} template)`,
  'Debian (10-13)',
  'Ubuntu (12.04-19.10 preseed, 20.04 and later autoinstall)',
  'OpenSUSE (Leap 15.x, 16.x, 42.3; AutoYaST)',
  'openSUSE-Tumbleweed',
  'SLES (12, 15, 16; AutoYaST)',
];

function unsupported(name: string, version: string, why: string): OzkitError {
  return new OzkitError('BAD_TDL', `no default answer file for ${name} ${version}: ${why}`, {
    hint: `supported: ${SUPPORTED_OS_NAMES.join(', ')}; for anything else give your own answer file with --auto FILE`,
  });
}

function kickstartSyntax(distro: Distro, major: number): KickstartSyntax {
  if (distro === 'fedora')
    return {
      installCommand: major < 29,
      auth: major >= 28 ? 'authselect' : 'auth',
      sshkeyCommand: true,
      optionPrefix: 'inst.',
    };
  return {
    installCommand: major <= 7,
    auth: major >= 8 ? 'authselect' : 'auth',
    sshkeyCommand: major >= 8,
    optionPrefix: 'inst.',
  };
}

/** `RHEL-9` + `4`, `RHEL` + `9.4`, `Rocky-9` + `9.3`, `CentOS-7` + `9` (Oz's update number). */
function parseRhelVersion(nameMajor: number | undefined, version: string): { major: number; minor?: number } | undefined {
  const v = version.trim();
  if (nameMajor !== undefined) {
    if (/^[0-9]+$/.test(v)) {
      // Oz's form: the name carries the major, the version is the update (RHEL-7 + 9 = 7.9); "9" on Rocky-9 means 9.
      const n = Number(v);
      return n === nameMajor ? { major: nameMajor } : { major: nameMajor, minor: n };
    }
    const m = /^([0-9]+)\.([0-9]+)$/.exec(v);
    if (m && Number(m[1]) === nameMajor) return { major: nameMajor, minor: Number(m[2]) };
    if (/^u?[0-9]+$/i.test(v)) return { major: nameMajor, minor: Number(v.replace(/^u/i, '')) };
    if (v === '' || /^(stream|latest)$/i.test(v)) return { major: nameMajor };
    return undefined;
  }
  const m = /^([0-9]+)(?:\.([0-9]+))?$/.exec(v);
  if (!m) return undefined;
  return { major: Number(m[1]), ...(m[2] !== undefined ? { minor: Number(m[2]) } : {}) };
}

export function resolveOs(name: string, version: string): OsRelease {
  const raw = name.trim();
  const normalized = raw.toLowerCase().replace(/[\s_]+/g, '-');
  const m = /^(.*?)(?:-?([0-9]+))?$/.exec(normalized)!;
  const base = NAME_ALIASES[m[1]];
  const nameMajor = m[2] !== undefined ? Number(m[2]) : undefined;
  if (!base) throw unsupported(raw, version, `unknown operating system "${raw}"`);

  const rhel = RHEL_LIKE[base];
  if (rhel) {
    const parsed = parseRhelVersion(nameMajor, version);
    if (!parsed) throw unsupported(raw, version, `"${version}" is not a ${rhel.label} version (e.g. 9 or 9.4)`);
    if (!rhel.majors.includes(parsed.major)) throw unsupported(raw, version, `${rhel.label} ${parsed.major} is not supported (known: ${rhel.majors.join(', ')})`);
    return {
      family: 'redhat',
      format: 'kickstart',
      distro: rhel.distro,
      label: `${rhel.label} ${parsed.major}${parsed.minor !== undefined ? `.${parsed.minor}` : ''}`,
      major: parsed.major,
      ...(parsed.minor !== undefined ? { minor: parsed.minor } : {}),
      kickstart: kickstartSyntax(rhel.distro, parsed.major),
    };
  }

  if (base === 'fedora') {
    const v = (nameMajor !== undefined && version.trim() === '' ? String(nameMajor) : version).trim().toLowerCase();
    let major: number;
    let fallbackFrom: string | undefined;
    if (v === 'rawhide') {
      major = FEDORA_NEWEST;
      fallbackFrom = 'rawhide';
    } else if (/^[0-9]+$/.test(v)) {
      major = Number(v);
      if (major < FEDORA_OLDEST) throw unsupported(raw, version, `Fedora ${major} is older than the oldest template (${FEDORA_OLDEST})`);
      if (major > FEDORA_NEWEST) {
        fallbackFrom = v;
        major = FEDORA_NEWEST;
      }
    } else throw unsupported(raw, version, `"${version}" is not a Fedora release number (or "rawhide")`);
    return {
      family: 'redhat',
      format: 'kickstart',
      distro: 'fedora',
      label: `Fedora ${fallbackFrom ?? major}`,
      major,
      ...(fallbackFrom ? { fallbackFrom } : {}),
      kickstart: kickstartSyntax('fedora', major),
    };
  }

  if (base === 'debian') {
    const v = version.trim().toLowerCase();
    const byCodename = Object.entries(DEBIAN_RELEASES).find(([, code]) => code === v);
    const mm = /^([0-9]+)(?:\.[0-9]+)*$/.exec(v);
    const major = byCodename ? Number(byCodename[0]) : mm ? Number(mm[1]) : NaN;
    if (Number.isNaN(major)) throw unsupported(raw, version, `"${version}" is not a Debian version (e.g. 12 or bookworm)`);
    if (major < 10) throw unsupported(raw, version, `Debian ${major} is older than the oldest template (10)`);
    const fallbackFrom = major > DEBIAN_NEWEST ? String(major) : undefined;
    const used = Math.min(major, DEBIAN_NEWEST);
    return {
      family: 'debian',
      format: 'preseed',
      distro: 'debian',
      label: `Debian ${major}`,
      major: used,
      ...(fallbackFrom ? { fallbackFrom } : {}),
    };
  }

  if (base === 'opensuse' || base === 'opensuse-tumbleweed' || base === 'sles') return resolveSuse(base, raw, nameMajor, version);

  // Ubuntu: YY.MM[.point]
  const mm = /^([0-9]+)\.([0-9]+)(?:\.[0-9]+)?$/.exec(version.trim());
  if (!mm) throw unsupported(raw, version, `"${version}" is not an Ubuntu version (e.g. 22.04 or 18.04.6)`);
  const major = Number(mm[1]);
  const minor = Number(mm[2]);
  const number = major + minor / 100;
  if (number < 12.04) throw unsupported(raw, version, `Ubuntu ${mm[1]}.${mm[2]} is older than the oldest template (12.04)`);
  const label = `Ubuntu ${mm[1]}.${mm[2]}`;
  if (number < 20.04)
    return {
      family: 'ubuntu',
      format: 'preseed',
      distro: 'ubuntu',
      label,
      major,
      minor,
    };
  return {
    family: 'ubuntu',
    format: 'autoinstall',
    distro: 'ubuntu',
    label,
    major,
    minor,
    ...(number > UBUNTU_NEWEST_KNOWN ? { fallbackFrom: `${mm[1]}.${mm[2]}` } : {}),
  };
}

/** openSUSE Leap 15/16 (and 42.3), Tumbleweed, SLES 12/15/16 (`15.5`, `15-SP5`, `SLES-15` + `SP5`). */
function resolveSuse(base: string, raw: string, nameMajor: number | undefined, version: string): OsRelease {
  const v = version.trim().toLowerCase();
  const suse = (distro: Distro, label: string, major: number, minor?: number): OsRelease => ({
    family: 'suse',
    format: 'autoyast',
    distro,
    label,
    major,
    ...(minor !== undefined ? { minor } : {}),
  });
  if (base === 'opensuse-tumbleweed' || v === 'tumbleweed') return suse('opensuse-tumbleweed', 'openSUSE Tumbleweed', 0);
  const m = /^([0-9]+)?(?:(?:\.|-?sp)([0-9]+))?$/.exec(v.replace(/\s+/g, ''));
  const major = m?.[1] !== undefined ? Number(m[1]) : nameMajor;
  const minor = m?.[2] !== undefined ? Number(m[2]) : undefined;
  if (!m || major === undefined)
    throw unsupported(raw, version, `"${version}" is not a ${base === 'sles' ? 'SLES' : 'openSUSE Leap'} version (e.g. 15.6${base === 'sles' ? ' or 15-SP6' : ''})`);
  if (base === 'sles') {
    if (![12, 15, 16].includes(major)) throw unsupported(raw, version, `SLES ${major} is not supported (known: 12, 15, 16)`);
    return suse('sles', `SLES ${major}${minor ? ` SP${minor}` : ''}`, major, minor);
  }
  if (![15, 16, 42].includes(major)) throw unsupported(raw, version, `openSUSE Leap ${major} is not supported (known: 15.x, 16.x, 42.3)`);
  return suse('opensuse', `openSUSE Leap ${major}${minor !== undefined ? `.${minor}` : ''}`, major, minor);
}
