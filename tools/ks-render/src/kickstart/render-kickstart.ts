import { OzkitError } from '@ozkit/errors';
import { checkedInstallUrl, type BuildAccess, type RenderContext, type RenderedAnswer } from '../answer-context.js';
import type { OsRelease } from '../os-catalog.js';
import { lintKickstart } from './kickstart-lint.js';

/** The `%post` that installs the build key, enables sshd and writes the completion marker last. */
export function buildAccessPost(access: BuildAccess, requireSshd: boolean): string {
  const key = access.publicKey;
  const check = requireSshd ? `[ -x /usr/sbin/sshd ] && grep -qxF '${key}' /root/.ssh/authorized_keys` : `grep -qxF '${key}' /root/.ssh/authorized_keys`;
  return [
    '# ozkit build access: the per-build key guest-customize logs in with, sshd on at boot,',
    '# then the completion marker on the serial console (guest-install waits for it).',
    '%post',
    'mkdir -p /root/.ssh && chmod 0700 /root/.ssh',
    `grep -qxF '${key}' /root/.ssh/authorized_keys 2>/dev/null || echo '${key}' >> /root/.ssh/authorized_keys`,
    'chmod 0600 /root/.ssh/authorized_keys',
    'restorecon -R /root/.ssh >/dev/null 2>&1 || true',
    'systemctl enable sshd.service >/dev/null 2>&1 || chkconfig sshd on >/dev/null 2>&1 || true',
    `if ${check}; then`,
    `  echo '${access.marker}' > /dev/${access.serialDevice}`,
    'else',
    `  echo '${access.failedMarker}: build key or sshd missing in the installed system' > /dev/${access.serialDevice}`,
    'fi',
    '%end',
  ].join('\n');
}

function loadedPre(access: BuildAccess): string {
  return ['%pre', `echo '${access.loadedMarker}' > /dev/${access.serialDevice} 2>/dev/null || true`, '%end'].join('\n');
}

function authLine(os: OsRelease): string {
  const syntax = os.kickstart!;
  if (syntax.auth === 'auth') return 'auth --enableshadow --passalgo=sha512';
  // authselect 1.5 (Fedora 40, EL 10) made "local" the default profile; before that it was "sssd".
  const local = (os.distro === 'fedora' && os.major >= 40) || (os.distro !== 'fedora' && os.major >= 10);
  return `authselect select ${local ? 'local' : 'sssd'}`;
}

function installSourceLine(ctx: RenderContext): string {
  const install = ctx.template.os.install;
  if (install.type === 'iso') return 'cdrom';
  const url = checkedInstallUrl(install.url);
  if (!url)
    throw new OzkitError('BAD_TDL', `install URL "${install.url}" has characters that cannot go into a kickstart safely`, {
      hint: 'use a plain http(s)/ftp/nfs URL (percent-encode spaces and quotes)',
    });
  return `url --url="${url}"`;
}

/** The default kickstart for a Red Hat family release, in that release's own syntax. */
export function renderDefaultKickstart(ctx: RenderContext): RenderedAnswer {
  const { os, access } = ctx;
  const syntax = os.kickstart!;
  if (!ctx.rootHash) throw new Error('default kickstart needs a root password hash');
  const lines = [
    `# ozkit default kickstart for ${os.label} (${ctx.template.os.arch}), template "${ctx.hostname}".`,
    '# Unattended: text mode, no questions; powers off at the end (guest-install waits for that).',
    ...(syntax.installCommand ? ['install'] : []),
    installSourceLine(ctx),
    'text',
    'lang en_US.UTF-8',
    'keyboard --vckeymap=us --xlayouts=us',
    'timezone UTC --utc',
    `network --bootproto=dhcp --device=link --activate --hostname=${ctx.hostname}`,
    'firewall --enabled --service=ssh',
    'selinux --enforcing',
    authLine(os),
    `rootpw --iscrypted ${ctx.rootHash}`,
    ...(syntax.sshkeyCommand ? [`sshkey --username=root "${access.publicKey}"`] : []),
    'services --enabled=sshd',
    `bootloader --timeout=1 --append="console=tty0 console=${ctx.serialConsole}"`,
    'zerombr',
    'clearpart --all --initlabel',
    'autopart --type=plain',
    'skipx',
    'firstboot --disabled',
    'poweroff',
    '',
    '%packages',
    '@core',
    'openssh-server',
    '%end',
    '',
    loadedPre(access),
    '',
    buildAccessPost(access, true),
    '',
  ];
  return { text: lines.join('\n'), notes: [], warnings: [], sshd: true };
}

/**
 * A user's kickstart, used as written except for what the build needs: Oz's root password
 * substitution (when the TDL has rootpw), `poweroff` instead of reboot/halt, and the build
 * access `%post` appended as its own section (so the user's `%packages` and `%post` stay intact).
 */
export function adaptUserKickstart(text: string, ctx: RenderContext): RenderedAnswer & { lint: ReturnType<typeof lintKickstart> } {
  const lint = lintKickstart(text, { customizationFollows: ctx.customizationFollows, requirePoweroff: false, lint: ctx.lint, release: ctx.kickstartRelease });
  const notes: string[] = [];
  const lines = [...lint.doc.lines];
  const commandLines = new Map(lint.doc.items.filter((i) => i.kind === 'command').map((c) => [c.line, c]));

  if (ctx.rootHash) {
    for (const line of lint.rootpwLines) lines[line - 1] = `rootpw --iscrypted ${ctx.rootHash}`;
    if (lint.rootpwLines.length > 0) notes.push(`line ${lint.rootpwLines.join(', ')}: rootpw replaced by the TDL's root password (hashed)`);
  }

  let hasPoweroff = false;
  for (const [lineNo, c] of commandLines) {
    if (c.kind !== 'command') continue;
    const name = c.name.toLowerCase();
    if (name === 'reboot' || name === 'halt' || name === 'shutdown') {
      lines[lineNo - 1] = 'poweroff';
      notes.push(`line ${lineNo}: "${c.name}" became "poweroff" (guest-install needs the VM to power off at the end)`);
      hasPoweroff = true;
    } else if (name === 'poweroff') hasPoweroff = true;
  }

  const added: string[] = ['', '# ---- added by ozkit ks-render: build access, completion marker, power-off ----'];
  if (!ctx.rootHash && lint.rootpwLines.length === 0) throw new Error('adaptUserKickstart: a kickstart without rootpw needs a root password hash');
  if (ctx.rootHash && lint.rootpwLines.length === 0) {
    added.push(`rootpw --iscrypted ${ctx.rootHash}`);
    notes.push('the kickstart sets no root password: added rootpw (anaconda would otherwise ask for one)');
  }
  if (!hasPoweroff) {
    added.push('poweroff');
    notes.push('added "poweroff" (the kickstart did not say how to end; anaconda would halt and wait)');
  }
  added.push(loadedPre(ctx.access), buildAccessPost(ctx.access, lint.sshd), '');
  return { text: lines.join('\n') + '\n' + added.join('\n'), notes, warnings: [], sshd: lint.sshd, lint };
}
