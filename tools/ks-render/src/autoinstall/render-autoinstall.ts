import type { AnswerProblem, BuildAccess, RenderContext, RenderedAnswer } from '../answer-context.js';
import { rebootsInScript } from '../kickstart/kickstart-syntax.js';
import { shellSyntaxError } from '../preseed/shell-syntax.js';
import { toYaml, type YamlValue } from './yaml-writer.js';
import { checkAutoinstallSchema } from './autoinstall-schema.js';
import type { LintLevel } from '../kickstart/kickstart-lint.js';
import { readYaml } from './yaml-reader.js';

type Mapping = { [key: string]: YamlValue };

export const CLOUD_CONFIG_HEADER = '#cloud-config';

function buildAccessLateCommands(access: BuildAccess, requireSshd: boolean): string[] {
  const key = access.publicKey;
  const sshd = requireSshd ? '[ -x /target/usr/sbin/sshd ] && ' : '';
  return [
    `mkdir -p /target/root/.ssh && chmod 0700 /target/root/.ssh && (grep -qxF '${key}' /target/root/.ssh/authorized_keys 2>/dev/null || echo '${key}' >> /target/root/.ssh/authorized_keys) && chmod 0600 /target/root/.ssh/authorized_keys`,
    `${sshd}grep -qxF '${key}' /target/root/.ssh/authorized_keys && echo '${access.marker}' > /dev/${access.serialDevice} || echo '${access.failedMarker}: build key or sshd missing in the installed system' > /dev/${access.serialDevice}`,
  ];
}

function rootPasswordLateCommand(hash: string): string {
  return `echo 'root:${hash}' | chroot /target chpasswd -e`;
}

function serialConsoleLateCommand(serialConsole: string): string {
  return (
    `sed -i 's/^GRUB_CMDLINE_LINUX_DEFAULT=.*/GRUB_CMDLINE_LINUX_DEFAULT="console=tty0 console=${serialConsole}"/' /target/etc/default/grub` +
    ' && curtin in-target --target=/target -- update-grub'
  );
}

function header(ctx: RenderContext, what: string): string {
  return `${CLOUD_CONFIG_HEADER}\n# ${what} for ${ctx.os.label} (${ctx.template.os.arch}), template "${ctx.hostname}".\n`;
}

/** The nocloud meta-data that goes beside user-data. */
export function renderMetaData(ctx: RenderContext): string {
  return `instance-id: ozkit-${ctx.hostname}\nlocal-hostname: ${ctx.hostname}\n`;
}

/** Default subiquity autoinstall user-data for Ubuntu 20.04 and later. */
export function renderDefaultAutoinstall(ctx: RenderContext): RenderedAnswer {
  if (!ctx.rootHash) throw new Error('default autoinstall needs a root password hash');
  const autoinstall: Mapping = {
    version: 1,
    'interactive-sections': [],
    'early-commands': [`echo '${ctx.access.loadedMarker}' > /dev/${ctx.access.serialDevice}`],
    locale: 'en_US.UTF-8',
    keyboard: { layout: 'us' },
    'refresh-installer': { update: false },
    storage: { layout: { name: 'direct' } },
    ssh: { 'install-server': true, 'allow-pw': false },
    // No identity user: root only, like the other formats; user-data must then be present.
    'user-data': { disable_root: false, hostname: ctx.hostname },
    'late-commands': [rootPasswordLateCommand(ctx.rootHash), serialConsoleLateCommand(ctx.serialConsole), ...buildAccessLateCommands(ctx.access, true)],
    shutdown: 'poweroff',
  };
  const text =
    header(ctx, 'ozkit default autoinstall (subiquity) user-data') +
    '# Unattended; powers off at the end (guest-install waits for that).\n' +
    toYaml({ autoinstall });
  return { text, notes: [], warnings: [], sshd: true };
}

export interface AutoinstallLint {
  errors: AnswerProblem[];
  warnings: AnswerProblem[];
  sshd: boolean;
  /** The autoinstall mapping (when the YAML loaded). */
  autoinstall?: Mapping;
  /** True when the file was a bare autoinstall.yaml (no `autoinstall:` wrapper). */
  bare: boolean;
  /** The rest of the cloud-config beside `autoinstall:`. */
  cloudConfig?: Mapping;
}

function isMapping(v: unknown): v is Mapping {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Checks user-data: YAML, `#cloud-config`, `autoinstall: version: 1`, unattended, power-off, sshd. */
export function lintAutoinstall(
  text: string,
  file: string,
  options: { customizationFollows: boolean; requirePoweroff: boolean; lint?: LintLevel },
): AutoinstallLint {
  const errors: AnswerProblem[] = [];
  const warnings: AnswerProblem[] = [];
  const result = readYaml(text, file);
  if (result.error) return { errors: [{ ...result.error, message: `not valid YAML: ${result.error.message}` }], warnings, sshd: false, bare: false };
  const docs = result.docs ?? [];
  if (docs.length !== 1 || !isMapping(docs[0]))
    return { errors: [{ line: 1, message: 'user-data must be one YAML mapping (a single document)' }], warnings, sshd: false, bare: false };
  const top = docs[0];
  let autoinstall: Mapping;
  let bare = false;
  let cloudConfig: Mapping | undefined;
  if (isMapping(top.autoinstall)) {
    autoinstall = top.autoinstall;
    cloudConfig = Object.fromEntries(Object.entries(top).filter(([k]) => k !== 'autoinstall')) as Mapping;
    if (!text.startsWith(CLOUD_CONFIG_HEADER))
      errors.push({
        line: 1,
        column: 1,
        message: `user-data must start with "${CLOUD_CONFIG_HEADER}" or cloud-init ignores it`,
        hint: `make "${CLOUD_CONFIG_HEADER}" the first line`,
      });
  } else if ('version' in top && !('autoinstall' in top)) {
    autoinstall = top;
    bare = true;
  } else
    return {
      errors: [
        {
          line: 1,
          message: 'no "autoinstall:" mapping: subiquity would ask every question',
          hint: 'put the installer settings under "autoinstall:" with "version: 1"',
        },
      ],
      warnings,
      sshd: false,
      bare,
    };

  const schema =
    options.lint === 'off'
      ? { errors: [], warnings: [] }
      : checkAutoinstallSchema(autoinstall, bare ? '' : '/autoinstall', () => readYaml(text, file, true).marks ?? {});
  (options.lint === 'warn' ? warnings : errors).push(...schema.errors);
  warnings.push(...schema.warnings);
  if (autoinstall.version !== 1) errors.push({ message: `autoinstall version is ${JSON.stringify(autoinstall.version)}, subiquity knows only version: 1` });
  const interactive = autoinstall['interactive-sections'];
  if (Array.isArray(interactive) && interactive.length > 0)
    errors.push({ message: `interactive-sections (${interactive.join(', ')}) make the installer wait for a person`, hint: 'remove interactive-sections' });
  if (options.requirePoweroff && autoinstall.shutdown !== 'poweroff')
    errors.push({ message: `shutdown is ${JSON.stringify(autoinstall.shutdown ?? 'reboot (the default)')}, not poweroff`, hint: 'set "shutdown: poweroff"' });
  if (!('identity' in autoinstall) && !('user-data' in autoinstall))
    errors.push({ message: 'neither "identity" nor "user-data": subiquity stops and asks who the user is', hint: 'add an identity section or a user-data section' });
  for (const section of ['early-commands', 'late-commands', 'error-commands']) {
    const list = autoinstall[section];
    if (list === undefined) continue;
    if (!Array.isArray(list)) {
      errors.push({ message: `${section} must be a list of commands` });
      continue;
    }
    list.forEach((cmd, i) => {
      if (typeof cmd !== 'string') return;
      const complaint = shellSyntaxError(cmd);
      if (complaint) errors.push({ message: `${section}[${i}] is not valid shell: ${complaint}` });
      if (section !== 'error-commands' && rebootsInScript(cmd))
        errors.push({ message: `${section}[${i}] restarts or halts the machine: the install would never reach its power-off`, hint: 'use "shutdown: poweroff"' });
    });
  }
  const ssh = autoinstall.ssh;
  const sshd = isMapping(ssh) && ssh['install-server'] === true;
  if (!sshd) {
    const message = 'ssh: install-server is not true, so the installed system has no SSH server';
    if (options.customizationFollows) errors.push({ message, hint: 'add "ssh: {install-server: true}" (the TDL asks for customization over SSH)' });
    else warnings.push({ message: `${message}; no customization in the TDL, so the build goes on` });
  }
  return { errors, warnings, sshd, autoinstall, bare, ...(cloudConfig ? { cloudConfig } : {}) };
}

/**
 * A user's autoinstall user-data: its data kept, with power-off, the loaded marker in
 * early-commands and the build access in late-commands (the format's own hooks). Written back
 * as YAML from the data, so comments in the original do not survive (said on stderr).
 */
export function adaptUserAutoinstall(text: string, file: string, ctx: RenderContext): RenderedAnswer & { lint: AutoinstallLint } {
  const lint = lintAutoinstall(text, file, { customizationFollows: ctx.customizationFollows, requirePoweroff: false, lint: ctx.lint });
  const notes: string[] = [];
  if (lint.errors.length > 0 || !lint.autoinstall) return { text, notes, warnings: [], sshd: lint.sshd, lint };
  const ai: Mapping = { ...lint.autoinstall };
  if (ai.shutdown !== 'poweroff') {
    notes.push(`shutdown: ${JSON.stringify(ai.shutdown ?? 'reboot (default)')} became poweroff (guest-install needs the VM to power off)`);
    ai.shutdown = 'poweroff';
  }
  const early = Array.isArray(ai['early-commands']) ? (ai['early-commands'] as YamlValue[]) : [];
  ai['early-commands'] = [`echo '${ctx.access.loadedMarker}' > /dev/${ctx.access.serialDevice}`, ...early];
  const late = Array.isArray(ai['late-commands']) ? (ai['late-commands'] as YamlValue[]) : [];
  ai['late-commands'] = [...late, ...(ctx.rootHash ? [rootPasswordLateCommand(ctx.rootHash)] : []), ...buildAccessLateCommands(ctx.access, lint.sshd)];
  if (ctx.rootHash) notes.push('root password set from the TDL (or generated) in late-commands');
  if (/(^|\n)\s*#(?!cloud-config)/.test(text)) notes.push('user-data was re-written from its data: its comments are not kept');
  const body = lint.bare ? toYaml({ autoinstall: ai }) : toYaml({ ...(lint.cloudConfig ?? {}), autoinstall: ai });
  return { text: header(ctx, `user autoinstall from ${file}, with ozkit build access`) + body, notes, warnings: [], sshd: lint.sshd, lint };
}
