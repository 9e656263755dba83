import { OzkitError } from '@ozkit/errors';
import type { TargetCloud } from '@ozkit/config';
import type { PackageManager } from './guest-os.js';
import { shellQuote } from './shell-quote.js';
import { DATASOURCE_FILE, datasourceConfig } from './cloud-datasource.js';

export interface SealContext {
  packageManager: PackageManager;
  /** The build key's public line (`ssh-ed25519 AAAA… comment`): only this key is removed. */
  buildPublicKey: string;
  /** The cloud the image is for (`none`: cloud-init's configuration stays as the distribution ships it). */
  targetCloud: TargetCloud;
}

export interface SealOperation {
  op: string;
  description: string;
  /** Only meaningful with cloud-init in the image: skipped (one report line for all of them) without it. */
  needsCloudInit?: boolean;
  /** Shell script; its last stdout line is the detail for the report. Exit 3 = not applicable. */
  script(context: SealContext): string;
}

export const NOT_APPLICABLE_EXIT = 3;

/** rm -rf each glob match, printing how many paths went (globs that match nothing are skipped). */
const removeCounting = (globs: string[]) =>
  `n=0; for f in ${globs.join(' ')}; do if [ -e "$f" ] || [ -L "$f" ]; then rm -rf -- "$f" && n=$((n+1)); fi; done; echo "removed $n"`;

/** In the order they run: the build key and fstrim come last, SSH must keep working until then. */
export const SEAL_OPERATIONS: SealOperation[] = [
  {
    op: 'cloud-datasource',
    description: `cloud-init's datasource_list pinned to the target cloud, with a short metadata timeout (${DATASOURCE_FILE})`,
    needsCloudInit: true,
    script: ({ targetCloud }) => {
      const config = datasourceConfig(targetCloud);
      if (!config) return `echo '--target-cloud none: datasources kept as the distribution ships them'; exit ${NOT_APPLICABLE_EXIT}`;
      const dir = posixDir(DATASOURCE_FILE);
      return (
        `mkdir -p ${dir} && printf '%s' ${shellQuote(config.text)} > ${DATASOURCE_FILE} && chmod 644 ${DATASOURCE_FILE} || exit 1; ` +
        // cloud-init reads cloud.cfg.d in byte order, the last datasource_list wins: a later file (Ubuntu's 90_dpkg.cfg) would undo the pin.
        `n=0; for g in ${dir}/*.cfg; do [ -f "$g" ] && LC_ALL=C expr "$g" \\> ${DATASOURCE_FILE} >/dev/null && grep -q '^datasource_list:' "$g" || continue; ` +
        `sed -i 's/^datasource_list:/# ozkit --target-cloud ${targetCloud} pins it in ${DATASOURCE_FILE.slice(dir.length + 1)}: datasource_list:/' "$g" && n=$((n+1)); done; ` +
        `echo ${shellQuote(`datasource_list: [ ${config.datasources.join(', ')} ]`)}$([ $n -gt 0 ] && echo " (overrode $n later file(s))")`
      );
    },
  },
  {
    op: 'cloud-init',
    description: 'cloud-init state, logs and seeds (cloud-init clean --logs --seed), so it runs again on first boot',
    needsCloudInit: true,
    script: () =>
      `if [ ! -d /var/lib/cloud ] && ! command -v cloud-init >/dev/null 2>&1; then echo 'cloud-init not installed'; exit ${NOT_APPLICABLE_EXIT}; fi; ` +
      // --seed is newer than some distributions' cloud-init: without it the seed removal below does that part.
      `if command -v cloud-init >/dev/null 2>&1; then cloud-init clean --logs --seed >/dev/null 2>&1 || cloud-init clean --logs >/dev/null 2>&1 || true; fi; ` +
      removeCounting([
        '/var/lib/cloud/instances',
        '/var/lib/cloud/instance',
        '/var/lib/cloud/data',
        '/var/lib/cloud/sem',
        '/var/lib/cloud/seed',
        '/var/log/cloud-init.log',
        '/var/log/cloud-init-output.log',
      ]),
  },
  {
    op: 'installer-seeds',
    description: "what the installer left for cloud-init: subiquity's and curtin's cloud.cfg.d files, a cloud-init.disabled marker",
    needsCloudInit: true,
    script: () =>
      removeCounting([
        '/etc/cloud/cloud.cfg.d/99-installer.cfg',
        '/etc/cloud/cloud.cfg.d/90-installer-network.cfg',
        '/etc/cloud/cloud.cfg.d/curtin-preserve-sources.cfg',
        '/etc/cloud/cloud.cfg.d/subiquity-disable-cloudinit-networking.cfg',
        '/etc/cloud/cloud-init.disabled',
        '/var/log/installer/autoinstall-user-data',
      ]),
  },
  {
    op: 'kernel-cmdline-seeds',
    description: 'ds= and autoinstall taken off the kernel command line (/etc/default/grub, grub.cfg, BLS entries)',
    script: () => KERNEL_CMDLINE_SEEDS_SCRIPT,
  },
  {
    op: 'package-cache',
    description: 'package manager caches (downloaded packages, metadata caches)',
    script: ({ packageManager }) => {
      const clean = { apt: 'apt-get clean', dnf: 'dnf clean all', yum: 'yum clean all', zypper: 'zypper --non-interactive clean --all' }[packageManager];
      return `${clean} >/dev/null && echo ${shellQuote(clean)}`;
    },
  },
  {
    op: 'dhcp-leases',
    description: 'DHCP client leases (dhclient, NetworkManager, systemd-networkd, dhcpcd)',
    script: () =>
      removeCounting([
        '/var/lib/dhcp/*.leases',
        '/var/lib/dhcp/*.lease',
        '/var/lib/dhclient/*',
        '/var/lib/NetworkManager/*.lease',
        '/var/lib/NetworkManager/dhclient-*',
        '/var/lib/systemd/network/*',
        '/var/lib/dhcpcd/*.lease',
        '/var/lib/wicked/lease-*',
      ]),
  },
  {
    op: 'logs',
    description: 'log files emptied (kept, so services that expect them still work), rotated logs and the journal removed',
    script: () =>
      `[ -d /var/log ] || { echo 'no /var/log'; exit 0; }; ` +
      `r=0; for f in $(find /var/log -type f \\( -name '*.gz' -o -name '*.xz' -o -name '*.[0-9]' -o -name '*.old' \\) 2>/dev/null); do rm -f -- "$f" && r=$((r+1)); done; ` +
      `if command -v journalctl >/dev/null 2>&1; then journalctl --rotate >/dev/null 2>&1; journalctl --vacuum-time=1s >/dev/null 2>&1; fi; ` +
      `find /var/log/journal -name '*.journal*' -type f -delete 2>/dev/null; ` +
      `t=0; for f in $(find /var/log -type f 2>/dev/null); do : > "$f" && t=$((t+1)); done; ` +
      `for f in /var/log/wtmp /var/log/btmp /var/log/lastlog /var/run/utmp; do [ -f "$f" ] && : > "$f"; done; ` +
      `echo "emptied $t, removed $r rotated"`,
  },
  {
    op: 'shell-history',
    description: 'shell histories of root and every home directory',
    script: () =>
      removeCounting([
        '/root/.bash_history',
        '/root/.zsh_history',
        '/root/.ash_history',
        '/root/.lesshst',
        '/root/.viminfo',
        '/home/*/.bash_history',
        '/home/*/.zsh_history',
        '/home/*/.lesshst',
        '/home/*/.viminfo',
      ]),
  },
  {
    op: 'tmp-files',
    description: 'contents of /tmp and /var/tmp',
    script: () => removeCounting(['/tmp/* /tmp/.[!.]*', '/var/tmp/* /var/tmp/.[!.]*']),
  },
  {
    op: 'machine-id',
    description: '/etc/machine-id emptied (not deleted: systemd then makes a new one on first boot)',
    script: () =>
      `if [ -e /etc/machine-id ]; then : > /etc/machine-id; fi; ` +
      // Debian links /var/lib/dbus/machine-id to /etc/machine-id; a separate copy would keep the old id.
      `if [ -f /var/lib/dbus/machine-id ] && [ ! -L /var/lib/dbus/machine-id ]; then rm -f /var/lib/dbus/machine-id; fi; ` +
      `rm -f /var/lib/systemd/random-seed /var/lib/systemd/credential.secret; echo emptied`,
  },
  {
    op: 'ssh-host-keys',
    description: 'SSH host keys (each copy of the image makes its own on first boot)',
    script: () =>
      `n=$(ls /etc/ssh/ssh_host_*key* 2>/dev/null | wc -l); rm -f /etc/ssh/ssh_host_*key*; ` +
      // Debian/Ubuntu sshd does not start without host keys, and only cloud-init would make new ones:
      // install a first-boot unit unless the system has its own (RHEL's sshd-keygen@).
      `extra=''; if [ -d /etc/systemd/system ] && [ -x /usr/bin/ssh-keygen ] && ! ls /usr/lib/systemd/system/sshd-keygen* /lib/systemd/system/sshd-keygen* >/dev/null 2>&1; then ` +
      `printf '%s\\n' '[Unit]' 'Description=Generate SSH host keys missing after ozkit sealing' 'ConditionPathExistsGlob=!/etc/ssh/ssh_host_*_key' 'Before=ssh.service sshd.service' '' '[Service]' 'Type=oneshot' 'ExecStart=/usr/bin/ssh-keygen -A' '' '[Install]' 'WantedBy=multi-user.target' > /etc/systemd/system/ozkit-ssh-host-keys.service; ` +
      `mkdir -p /etc/systemd/system/multi-user.target.wants && ln -sf /etc/systemd/system/ozkit-ssh-host-keys.service /etc/systemd/system/multi-user.target.wants/ozkit-ssh-host-keys.service; ` +
      `extra=', first-boot key generation installed (ozkit-ssh-host-keys.service)'; fi; echo "removed $n files$extra"`,
  },
  {
    op: 'build-key',
    description: "the build key (and only it) from root's authorized_keys",
    script: ({ buildPublicKey }) => {
      const blob = buildPublicKey.trim().split(/\s+/)[1];
      if (!blob) throw new OzkitError('BAD_DOCUMENT', 'the build public key file does not hold an OpenSSH public key line');
      // Match the base64 blob as a whole field, whatever options or comment the line has.
      return (
        `f=/root/.ssh/authorized_keys; [ -f "$f" ] || { echo 'no authorized_keys'; exit 0; }; ` +
        `before=$(wc -l < "$f"); grep -v -F -w -e ${shellQuote(blob)} "$f" > "$f.ozkit-tmp" || true; ` +
        `after=$(wc -l < "$f.ozkit-tmp"); ` +
        `if [ -s "$f.ozkit-tmp" ]; then chmod 600 "$f.ozkit-tmp"; mv -f "$f.ozkit-tmp" "$f"; else rm -f "$f.ozkit-tmp" "$f"; fi; ` +
        `echo "removed $((before-after)) line(s), $after other key line(s) kept"`
      );
    },
  },
  {
    op: 'fstrim',
    description: 'discard unused blocks of every mounted filesystem, so the image stays small',
    script: () =>
      `command -v fstrim >/dev/null 2>&1 || { echo 'fstrim not installed'; exit ${NOT_APPLICABLE_EXIT}; }; sync; fstrim -av 2>&1 | tr '\\n' ';' | sed 's/;$//'; echo`,
  },
];

function posixDir(path: string): string {
  return path.slice(0, path.lastIndexOf('/'));
}

/**
 * An install-time seed left on the kernel command line (`ds=nocloud;s=http://…`, subiquity's
 * `autoinstall`) would point every copy of the image at the installer's seed: the words go from the
 * GRUB defaults, the generated grub.cfg and BLS entries, nothing else on those lines changes.
 */
const SEED_WORD = `(ds=[^[:space:]"']*|autoinstall)`;
const SEP = `[[:space:]"']`;
const KERNEL_LINES = '^(GRUB_CMDLINE_LINUX(_DEFAULT)?=|[[:space:]]*linux(efi|16)?[[:space:]]|options[[:space:]])';
// A loop per line: one substitution can eat the separator the next seed word needs.
// A loop per line, a word after a blank taken with the blank, one right after the opening quote (or
// `=`) with the blanks after it, so no double spaces or stray separators are left.
const DROP_SEED_WORDS = [
  `/${KERNEL_LINES}/{ :a`,
  `s/[[:space:]]+${SEED_WORD}(${SEP}|$)/\\2/`,
  'ta',
  `s/(["'=])${SEED_WORD}([[:space:]]+|(["']|$))/\\1\\4/`,
  'ta',
  '}',
]
  .map((e) => `-e ${shellQuote(e)}`)
  .join(' ');
export const KERNEL_CMDLINE_FILES = ['/etc/default/grub', '/boot/grub/grub.cfg', '/boot/grub2/grub.cfg', '/boot/efi/EFI/*/grub.cfg', '/boot/loader/entries/*.conf'];
const KERNEL_CMDLINE_SEEDS_SCRIPT =
  `n=0; for f in ${KERNEL_CMDLINE_FILES.join(' ')}; do [ -f "$f" ] || continue; ` +
  `sed -E ${DROP_SEED_WORDS} "$f" > "$f.ozkit-tmp" || { rm -f "$f.ozkit-tmp"; exit 1; }; ` +
  // cat > keeps the file's owner, mode and hard links (grub.cfg may be read-only to others).
  `if cmp -s "$f" "$f.ozkit-tmp"; then rm -f "$f.ozkit-tmp"; else cat "$f.ozkit-tmp" > "$f"; rm -f "$f.ozkit-tmp"; n=$((n+1)); fi; done; echo "changed $n file(s)"`;

export const SEAL_OPERATION_NAMES = SEAL_OPERATIONS.map((o) => o.op);

/** `--seal-ops a,b` → the operations in their fixed order; unknown names are a usage error. */
export function selectSealOperations(names: string[] | undefined): SealOperation[] {
  if (!names) return SEAL_OPERATIONS;
  const wanted = names
    .flatMap((n) => n.split(','))
    .map((n) => n.trim())
    .filter(Boolean);
  const unknown = wanted.filter((n) => !SEAL_OPERATION_NAMES.includes(n));
  if (unknown.length)
    throw new OzkitError('USAGE', `unknown seal operation${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`, {
      hint: `choose from ${SEAL_OPERATION_NAMES.join(', ')}`,
    });
  return SEAL_OPERATIONS.filter((o) => wanted.includes(o.op));
}
