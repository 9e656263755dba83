import { aptProxyRemovalScript } from '@ozkit/cache';
import { OzkitError } from '@ozkit/errors';
import { archiveMirror } from '../os-catalog.js';
import { checkedInstallUrl, type AnswerProblem, type BuildAccess, type RenderContext, type RenderedAnswer } from '../answer-context.js';
import { rebootsInScript } from '../kickstart/kickstart-syntax.js';
import { findEntry, parsePreseed, preseedLine, type PreseedDocument } from './preseed-syntax.js';
import { shellSyntaxError } from './shell-syntax.js';
import { checkPreseedSemantics } from './preseed-check.js';
import type { LintLevel } from '../kickstart/kickstart-lint.js';

const POWEROFF = 'debian-installer/exit/poweroff';
const HALT = 'debian-installer/exit/halt';
const LATE = 'preseed/late_command';
const EARLY = 'preseed/early_command';
const ROOT_PASSWORD_QUESTIONS = ['passwd/root-password', 'passwd/root-password-again', 'passwd/root-password-crypted'];

/** The late_command part that installs the build key in the target and then writes the marker. */
export function buildAccessLateCommand(access: BuildAccess, requireSshd: boolean): string {
  const key = access.publicKey;
  const install =
    `in-target sh -c 'mkdir -p /root/.ssh && chmod 0700 /root/.ssh && ` +
    `(grep -qxF "${key}" /root/.ssh/authorized_keys 2>/dev/null || echo "${key}" >> /root/.ssh/authorized_keys) && ` +
    `chmod 0600 /root/.ssh/authorized_keys'`;
  const sshd = requireSshd ? ' && in-target test -x /usr/sbin/sshd' : '';
  return `${install}${sshd} && echo '${access.marker}' > /dev/${access.serialDevice} || echo '${access.failedMarker}: build key or sshd missing in the installed system' > /dev/${access.serialDevice}`;
}

/** The package cache is the installer's proxy only: the installed system's apt does not keep it. */
function proxyRemovalLateCommand(packageProxy: string): string {
  return `in-target sh -c '${aptProxyRemovalScript(packageProxy)} >/dev/null'`;
}

/** `sh -c '<command>'`, single quotes inside escaped, so the command's text ends where the quote does. */
export function ownShell(command: string): string {
  return `sh -c '${command.replace(/'/g, `'\\''`)}'`;
}

function loadedEarlyCommand(access: BuildAccess): string {
  return `echo '${access.loadedMarker}' > /dev/${access.serialDevice}`;
}

/**
 * Mirror host and directory: from a url install's tree (…/debian/dists/…), else the setting, else
 * the host's apt sources (same distribution only), else a usage error naming the setting.
 */
function mirrorFor(ctx: RenderContext): { hostname: string; directory: string; source: string } {
  const install = ctx.template.os.install;
  if (install.type === 'url') {
    const url = checkedInstallUrl(install.url);
    if (!url)
      throw new OzkitError('BAD_TDL', `install URL "${install.url}" has characters that cannot go into a preseed safely`, {
        hint: 'use a plain http(s) URL (percent-encode spaces and quotes)',
      });
    const fromTree = hostAndDirectory(url, '/dists/');
    if (fromTree) return { ...fromTree, source: 'the TDL install URL' };
  }
  const distro = ctx.os.distro === 'ubuntu' ? 'ubuntu' : 'debian';
  const mirror = archiveMirror(distro, { setting: ctx.mirrors[distro], root: ctx.mirrors.aptRoot });
  const url = checkedInstallUrl(mirror.url);
  if (!url)
    throw new OzkitError('BAD_CONFIG', `archive mirror "${mirror.url}" (from ${mirror.source}) has characters that cannot go into a preseed safely`, {
      hint: 'set a plain http(s) mirror URL (percent-encode spaces and quotes)',
    });
  return { ...hostAndDirectory(url)!, source: mirror.source };
}

/** An http(s) URL's host and path (up to `marker` when given, which must be there). */
function hostAndDirectory(url: string, marker?: string): { hostname: string; directory: string } | undefined {
  const parsed = new URL(url);
  const end = marker === undefined ? parsed.pathname.length : parsed.pathname.indexOf(marker);
  if (!/^https?:$/.test(parsed.protocol) || end < 0) return undefined;
  return { hostname: parsed.host, directory: parsed.pathname.slice(0, end).replace(/\/+$/, '') || '/' };
}

/** The default d-i preseed for Debian 10+ and Ubuntu up to 19.10. */
export function renderDefaultPreseed(ctx: RenderContext): RenderedAnswer {
  const { os, access } = ctx;
  if (!ctx.rootHash) throw new Error('default preseed needs a root password hash');
  const ubuntu = os.distro === 'ubuntu';
  const mirror = mirrorFor(ctx);
  const d = (question: string, type: string, value: string) => preseedLine('d-i', question, type, value);
  const lines = [
    `# ozkit default preseed for ${os.label} (${ctx.template.os.arch}), template "${ctx.hostname}".`,
    '# Unattended at priority=critical; powers off at the end (guest-install waits for that).',
    d(EARLY, 'string', loadedEarlyCommand(access)),
    '',
    '# Locale and keyboard',
    d('debian-installer/locale', 'string', 'en_US.UTF-8'),
    d('debian-installer/language', 'string', 'en'),
    d('debian-installer/country', 'string', 'US'),
    ...(ubuntu ? [d('console-setup/ask_detect', 'boolean', 'false'), d('keyboard-configuration/layoutcode', 'string', 'us')] : []),
    d('keyboard-configuration/xkb-keymap', 'select', 'us'),
    '',
    '# Network (DHCP on the first interface with a link)',
    d('netcfg/choose_interface', 'select', 'auto'),
    d('netcfg/get_hostname', 'string', ctx.hostname),
    d('netcfg/hostname', 'string', ctx.hostname),
    d('netcfg/get_domain', 'string', 'localdomain'),
    d('netcfg/wireless_wep', 'string', ''),
    d('hw-detect/load_firmware', 'boolean', 'false'),
    '',
    '# Archive mirror',
    d('mirror/country', 'string', 'manual'),
    d('mirror/http/hostname', 'string', mirror.hostname),
    d('mirror/http/directory', 'string', mirror.directory),
    d('mirror/http/proxy', 'string', ctx.packageProxy ?? ''),
    d('apt-setup/cdrom/set-first', 'boolean', 'false'),
    '',
    '# Accounts: root only, password as a SHA-512 crypt hash',
    d('passwd/root-login', 'boolean', 'true'),
    d('passwd/make-user', 'boolean', 'false'),
    d('passwd/root-password-crypted', 'password', ctx.rootHash),
    '',
    '# Clock',
    d('clock-setup/utc', 'boolean', 'true'),
    d('time/zone', 'string', 'UTC'),
    d('clock-setup/ntp', 'boolean', 'false'),
    '',
    '# Disk: the whole first disk, one ext4 root (plus swap), no questions',
    d('partman-auto/method', 'string', 'regular'),
    d('partman-lvm/device_remove_lvm', 'boolean', 'true'),
    d('partman-md/device_remove_md', 'boolean', 'true'),
    d('partman-auto/choose_recipe', 'select', 'atomic'),
    d('partman-partitioning/confirm_write_new_label', 'boolean', 'true'),
    d('partman/choose_partition', 'select', 'finish'),
    d('partman/confirm', 'boolean', 'true'),
    d('partman/confirm_nooverwrite', 'boolean', 'true'),
    '',
    '# Packages: standard system plus the SSH server guest-customize logs in with',
    preseedLine('tasksel', 'tasksel/first', 'multiselect', ubuntu ? 'standard, openssh-server' : 'standard, ssh-server'),
    d('pkgsel/include', 'string', 'openssh-server'),
    d('pkgsel/upgrade', 'select', 'none'),
    d('pkgsel/update-policy', 'select', 'none'),
    ...(ubuntu ? [d('pkgsel/install-language-support', 'boolean', 'false')] : []),
    preseedLine('popularity-contest', 'popularity-contest/participate', 'boolean', 'false'),
    '',
    '# Boot loader, with the serial console for the installed system too',
    d('grub-installer/only_debian', 'boolean', 'true'),
    d('grub-installer/with_other_os', 'boolean', 'true'),
    d('grub-installer/bootdev', 'string', 'default'),
    d('debian-installer/add-kernel-opts', 'string', `console=tty0 console=${ctx.serialConsole}`),
    '',
    '# Build access and completion marker, then power off (not reboot)',
    d(LATE, 'string', `${ctx.packageProxy ? `${proxyRemovalLateCommand(ctx.packageProxy)}; ` : ''}${buildAccessLateCommand(access, true)}`),
    d('finish-install/reboot_in_progress', 'note', ''),
    d(POWEROFF, 'boolean', 'true'),
    '',
  ];
  return { text: lines.join('\n'), notes: [`archive mirror ${mirror.hostname}${mirror.directory} (from ${mirror.source})`], warnings: [], sshd: true };
}

export interface PreseedLint {
  doc: PreseedDocument;
  errors: AnswerProblem[];
  warnings: AnswerProblem[];
  sshd: boolean;
  setsRootPassword: boolean;
}

/** Checks a preseed: syntax, shell commands that parse, no reboot in them, sshd when needed. */
export function lintPreseed(text: string, options: { customizationFollows: boolean; requirePoweroff: boolean; lint?: LintLevel }): PreseedLint {
  const doc = parsePreseed(text);
  const errors: AnswerProblem[] = doc.errors.map(
    (e) => commandContinuation(doc, e) ?? { ...e, hint: 'each line is "owner question type value", e.g. "d-i time/zone string UTC"' },
  );
  const warnings: AnswerProblem[] = [];
  if (options.lint !== 'off') {
    const semantics = checkPreseedSemantics(doc);
    (options.lint === 'warn' ? warnings : errors).push(...semantics.errors);
    warnings.push(...semantics.warnings);
  }
  for (const e of doc.entries) {
    if (!/_command$/.test(e.question) || e.value.trim() === '') continue;
    const complaint = shellSyntaxError(e.value);
    if (complaint) errors.push({ line: e.line, message: `${e.question} is not valid shell: ${complaint}`, hint: 'd-i runs it with sh -c' });
    if (rebootsInScript(e.value))
      errors.push({
        line: e.line,
        message: `${e.question} restarts or halts the machine: the install would never reach its power-off`,
        hint: 'let d-i power off (debian-installer/exit/poweroff)',
      });
  }
  if (options.requirePoweroff && findEntry(doc, POWEROFF)?.value !== 'true')
    errors.push({
      line: findEntry(doc, POWEROFF)?.line,
      message: `${POWEROFF} is not true: d-i would reboot instead of powering off`,
      hint: `add "d-i ${POWEROFF} boolean true"`,
    });
  if (options.requirePoweroff && findEntry(doc, HALT)?.value === 'true')
    errors.push({ line: findEntry(doc, HALT)!.line, message: `${HALT} is true: d-i would halt and wait instead of powering off` });

  // Questions d-i asks even at priority=critical unless answered (or partman is driven by a hook).
  if (!findEntry(doc, 'partman/early_command') && !findEntry(doc, 'partman-auto/expert_recipe_file'))
    for (const question of ['partman-auto/method', 'partman/confirm', 'partman/confirm_nooverwrite', 'partman/choose_partition'])
      if (!findEntry(doc, question)) warnings.push({ message: `no answer for ${question}: d-i may stop and ask while partitioning` });

  const include = findEntry(doc, 'pkgsel/include')?.value ?? '';
  const tasks = findEntry(doc, 'tasksel/first')?.value ?? '';
  const sshd = /(^|[\s,])openssh-server($|[\s,])/.test(include) || /(^|[\s,])(ssh-server|openssh-server)($|[\s,])/.test(tasks);
  if (!sshd) {
    const problem = {
      line: findEntry(doc, 'pkgsel/include')?.line,
      message: 'installs no SSH server (neither pkgsel/include openssh-server nor the ssh-server task)',
    };
    if (options.customizationFollows) errors.push({ ...problem, hint: 'add "d-i pkgsel/include string openssh-server" (the TDL asks for customization over SSH)' });
    else warnings.push({ ...problem, message: `${problem.message}; no customization in the TDL, so the build goes on` });
  }
  const setsRootPassword = doc.entries.some((e) => ROOT_PASSWORD_QUESTIONS.includes(e.question));
  return { doc, errors, warnings, sshd, setsRootPassword };
}

/** A line that does not parse right after a *_command: the command went on without a backslash. */
function commandContinuation(doc: PreseedDocument, problem: { line: number; column?: number; message: string }): AnswerProblem | undefined {
  const previous = doc.entries.find((e) => e.endLine === problem.line - 1);
  if (!previous || !/_command$/.test(previous.question)) return undefined;
  return {
    line: problem.line,
    column: 1,
    message: `${previous.question} (line ${previous.line}) goes on here without a backslash at the end of line ${problem.line - 1}: d-i runs only the first line and refuses this one`,
    hint: 'end every line of the command but the last with \\, or join it into one line with ;',
  };
}

/**
 * A user's preseed, used as written except for: Oz's root password substitution (TDL rootpw),
 * power-off instead of reboot/halt, the loaded marker prepended to early_command and the build
 * access appended to late_command (the format's own hook).
 */
export function adaptUserPreseed(text: string, ctx: RenderContext): RenderedAnswer & { lint: PreseedLint } {
  const lint = lintPreseed(text, { customizationFollows: ctx.customizationFollows, requirePoweroff: false, lint: ctx.lint });
  const { doc } = lint;
  const notes: string[] = [];
  const replace = new Map<number, string | null>(); // first line -> new text (null = drop); later lines of the entry dropped
  const dropRange = (line: number, endLine: number, replacement: string | null) => {
    replace.set(line, replacement);
    for (let l = line + 1; l <= endLine; l++) replace.set(l, null);
  };
  const added: string[] = [];

  if (ctx.rootHash) {
    const pwEntries = doc.entries.filter((e) => ROOT_PASSWORD_QUESTIONS.includes(e.question));
    pwEntries.forEach((e, i) => dropRange(e.line, e.endLine, i === 0 ? preseedLine('d-i', 'passwd/root-password-crypted', 'password', ctx.rootHash!) : null));
    if (pwEntries.length > 0) notes.push(`line ${pwEntries.map((e) => e.line).join(', ')}: root password replaced by the TDL's (hashed)`);
    else {
      added.push(preseedLine('d-i', 'passwd/root-password-crypted', 'password', ctx.rootHash));
      if (!findEntry(doc, 'passwd/root-login')) added.push(preseedLine('d-i', 'passwd/root-login', 'boolean', 'true'));
      notes.push('the preseed sets no root password: added one (d-i would otherwise ask)');
    }
  }

  const early = findEntry(doc, EARLY);
  if (early) dropRange(early.line, early.endLine, preseedLine(early.owner, EARLY, early.type, `${loadedEarlyCommand(ctx.access)}; ${early.value}`));
  else added.push(preseedLine('d-i', EARLY, 'string', loadedEarlyCommand(ctx.access)));

  const late = findEntry(doc, LATE);
  const ours = buildAccessLateCommand(ctx.access, lint.sshd);
  // The user's command runs in a shell of its own: a trailing `#` or `\\`, `exit 0` or `set -e`
  // in it then cannot swallow the build key install or the marker that follow.
  if (late && late.value.trim() !== '') dropRange(late.line, late.endLine, preseedLine(late.owner, LATE, late.type, `${ownShell(late.value.trim())}; ${ours}`));
  else if (late) dropRange(late.line, late.endLine, preseedLine(late.owner, LATE, 'string', ours));
  else added.push(preseedLine('d-i', LATE, 'string', ours));

  const halt = findEntry(doc, HALT);
  if (halt && halt.value === 'true') {
    dropRange(halt.line, halt.endLine, preseedLine(halt.owner, HALT, 'boolean', 'false'));
    notes.push(`line ${halt.line}: ${HALT} became false (guest-install needs the VM to power off)`);
  }
  const poweroff = findEntry(doc, POWEROFF);
  if (poweroff && poweroff.value !== 'true') {
    dropRange(poweroff.line, poweroff.endLine, preseedLine(poweroff.owner, POWEROFF, 'boolean', 'true'));
    notes.push(`line ${poweroff.line}: reboot at the end became power-off (${POWEROFF} true)`);
  } else if (!poweroff) {
    added.push(preseedLine('d-i', POWEROFF, 'boolean', 'true'));
    notes.push('the preseed reboots at the end: added power-off (guest-install needs the VM to power off)');
  }
  if (!findEntry(doc, 'finish-install/reboot_in_progress')) added.push(preseedLine('d-i', 'finish-install/reboot_in_progress', 'note', ''));

  const out: string[] = [];
  doc.lines.forEach((text, i) => {
    const r = replace.get(i + 1);
    if (r === undefined) out.push(text);
    else if (r !== null) out.push(r);
  });
  out.push('', '# ---- added by ozkit ks-render: build access, completion marker, power-off ----', ...added, '');
  return { text: out.join('\n'), notes, warnings: [], sshd: lint.sshd, lint };
}
