import { XMLValidator } from 'fast-xml-parser';
import type { AnswerProblem, BuildAccess, RenderContext, RenderedAnswer } from '../answer-context.js';
import { rebootsInScript } from '../kickstart/kickstart-syntax.js';

/**
 * AutoYaST profiles (openSUSE Leap/Tumbleweed, SLES). Everything ks-render puts in is either a
 * fixed string, a crypt hash, a sanitized host name or the OpenSSH key line — none of which can
 * hold `<`, `&` or `]]>` — and is XML-escaped anyway.
 */

const xml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function loadedScript(access: BuildAccess): string {
  return [
    '<script>',
    '  <filename>ozkit-loaded.sh</filename>',
    `  <source><![CDATA[echo '${access.loadedMarker}' > /dev/${access.serialDevice} || true]]></source>`,
    '</script>',
  ].join('\n');
}

/** Installs the key in the target, enables sshd, writes the marker (chroot script: after packages, before first boot). */
function buildAccessScript(access: BuildAccess, requireSshd: boolean): string {
  const key = access.publicKey;
  const check = requireSshd ? `[ -x /usr/sbin/sshd ] && grep -qxF '${key}' /root/.ssh/authorized_keys` : `grep -qxF '${key}' /root/.ssh/authorized_keys`;
  const body = [
    'mkdir -p /root/.ssh && chmod 0700 /root/.ssh',
    `grep -qxF '${key}' /root/.ssh/authorized_keys 2>/dev/null || echo '${key}' >> /root/.ssh/authorized_keys`,
    'chmod 0600 /root/.ssh/authorized_keys',
    'systemctl enable sshd.service >/dev/null 2>&1 || true',
    `if ${check}; then`,
    `  echo '${access.marker}' > /dev/${access.serialDevice}`,
    'else',
    `  echo '${access.failedMarker}: build key or sshd missing in the installed system' > /dev/${access.serialDevice}`,
    'fi',
  ].join('\n');
  return [
    '<script>',
    '  <filename>ozkit-build-access.sh</filename>',
    '  <chrooted config:type="boolean">true</chrooted>',
    `  <source><![CDATA[${body}\n]]></source>`,
    '</script>',
  ].join('\n');
}

const indent = (text: string, n: number) =>
  text
    .split('\n')
    .map((l) => ' '.repeat(n) + l)
    .join('\n');

export function renderDefaultAutoyast(ctx: RenderContext): RenderedAnswer {
  if (!ctx.rootHash) throw new Error('default AutoYaST profile needs a root password hash');
  const { access } = ctx;
  const text = `<?xml version="1.0"?>
<!DOCTYPE profile>
<!-- ozkit default AutoYaST profile for ${xml(ctx.os.label)} (${ctx.template.os.arch}), template "${ctx.hostname}".
     Unattended, one stage; powers off at the end (guest-install waits for that). -->
<profile xmlns="http://www.suse.com/1.0/yast2ns" xmlns:config="http://www.suse.com/1.0/configns">
  <general>
    <mode>
      <confirm config:type="boolean">false</confirm>
      <second_stage config:type="boolean">false</second_stage>
      <final_reboot config:type="boolean">false</final_reboot>
      <final_halt config:type="boolean">true</final_halt>
    </mode>
  </general>
  <language><language>en_US</language></language>
  <keyboard><keymap>english-us</keymap></keyboard>
  <timezone><hwclock>UTC</hwclock><timezone>UTC</timezone></timezone>
  <networking>
    <keep_install_network config:type="boolean">true</keep_install_network>
    <dns><hostname>${xml(ctx.hostname)}</hostname></dns>
  </networking>
  <bootloader>
    <global>
      <append>console=tty0 console=${xml(ctx.serialConsole)}</append>
      <timeout config:type="integer">1</timeout>
    </global>
  </bootloader>
  <partitioning config:type="list">
    <drive>
      <initialize config:type="boolean">true</initialize>
      <use>all</use>
    </drive>
  </partitioning>
  <software>
    <install_recommended config:type="boolean">false</install_recommended>
    <patterns config:type="list"><pattern>base</pattern></patterns>
    <packages config:type="list"><package>openssh</package></packages>
  </software>
  <services-manager>
    <default_target>multi-user</default_target>
    <services><enable config:type="list"><service>sshd</service></enable></services>
  </services-manager>
  <firewall>
    <enable_firewall config:type="boolean">true</enable_firewall>
    <start_firewall config:type="boolean">true</start_firewall>
    <zones config:type="list"><zone><name>public</name><services config:type="list"><service>ssh</service></services></zone></zones>
  </firewall>
  <users config:type="list">
    <user>
      <username>root</username>
      <encrypted config:type="boolean">true</encrypted>
      <user_password>${xml(ctx.rootHash)}</user_password>
      <authorized_keys config:type="list"><listentry>${xml(access.publicKey)}</listentry></authorized_keys>
    </user>
  </users>
  <scripts>
    <pre-scripts config:type="list">
${indent(loadedScript(access), 6)}
    </pre-scripts>
    <chroot-scripts config:type="list">
${indent(buildAccessScript(access, true), 6)}
    </chroot-scripts>
  </scripts>
</profile>
`;
  return { text, notes: [], warnings: [], sshd: true };
}

export interface AutoyastLint {
  errors: AnswerProblem[];
  warnings: AnswerProblem[];
  sshd: boolean;
  setsRootPassword: boolean;
}

function lineOf(text: string, index: number): number {
  return text.slice(0, index).split('\n').length;
}

function flag(text: string, name: string): { value: boolean; index: number } | undefined {
  const m = new RegExp(`<${name}(\\s[^>]*)?>\\s*(true|false)\\s*</${name}>`).exec(text);
  return m ? { value: m[2] === 'true', index: m.index } : undefined;
}

/** Well-formed XML, a `<profile>`, no confirmation, power-off, scripts that do not reboot, sshd. */
export function lintAutoyast(text: string, options: { customizationFollows: boolean; requirePoweroff: boolean }): AutoyastLint {
  const errors: AnswerProblem[] = [];
  const warnings: AnswerProblem[] = [];
  const valid = XMLValidator.validate(text);
  if (valid !== true)
    return {
      errors: [{ line: valid.err.line, column: valid.err.col, message: `not well-formed XML: ${valid.err.msg}` }],
      warnings,
      sshd: false,
      setsRootPassword: false,
    };
  const root = /<(?!\?|!)([A-Za-z_][\w:.-]*)/.exec(text.replace(/<!--[\s\S]*?-->/g, (c) => ' '.repeat(c.length)));
  if (!root || root[1] !== 'profile')
    return {
      errors: [{ line: root ? lineOf(text, root.index) : 1, message: `root element is <${root?.[1] ?? ''}>, an AutoYaST profile is <profile>` }],
      warnings,
      sshd: false,
      setsRootPassword: false,
    };
  errors.push(...profileNamespaceProblems(text, root.index));
  const confirm = flag(text, 'confirm');
  if (confirm?.value)
    errors.push({
      line: lineOf(text, confirm.index),
      message: 'confirm is true: YaST would wait for a person to confirm the installation',
      hint: 'set <confirm config:type="boolean">false</confirm>',
    });
  if (options.requirePoweroff) {
    const halt = flag(text, 'final_halt');
    if (!halt?.value)
      errors.push({
        line: halt ? lineOf(text, halt.index) : undefined,
        message: 'final_halt is not true: the machine would not power off at the end',
        hint: 'set <final_halt config:type="boolean">true</final_halt> in general/mode',
      });
  }
  for (const m of text.matchAll(/<source>\s*<!\[CDATA\[([\s\S]*?)\]\]>\s*<\/source>/g))
    m[1].split('\n').forEach((l, i) => {
      if (rebootsInScript(l))
        errors.push({
          line: lineOf(text, m.index!) + i,
          message: `a script restarts or halts the machine ("${l.trim()}"): the install would never reach its power-off`,
          hint: 'let final_halt power off',
        });
    });
  const disable = /<disable(\s[^>]*)?>([\s\S]*?)<\/disable>/.exec(text);
  const removed = /<remove-packages(\s[^>]*)?>([\s\S]*?)<\/remove-packages>/.exec(text);
  let sshd = true;
  if (disable && /<service>\s*sshd(\.service)?\s*<\/service>/.test(disable[2])) {
    sshd = false;
    (options.customizationFollows ? errors : warnings).push({
      line: lineOf(text, disable.index),
      message: 'services-manager disables sshd, so guest-customize could not log in',
    });
  }
  if (removed && /<package>\s*openssh(-server)?\s*<\/package>/.test(removed[2])) {
    sshd = false;
    (options.customizationFollows ? errors : warnings).push({
      line: lineOf(text, removed.index),
      message: 'remove-packages removes openssh, so guest-customize could not log in',
    });
  }
  const setsRootPassword =
    /<user(\s[^>]*)?>(?:(?!<\/user>)[\s\S])*<username>\s*root\s*<\/username>(?:(?!<\/user>)[\s\S])*<user_password>/.test(text) ||
    /<user(\s[^>]*)?>(?:(?!<\/user>)[\s\S])*<user_password>(?:(?!<\/user>)[\s\S])*<username>\s*root\s*<\/username>/.test(text);
  return { errors, warnings, sshd, setsRootPassword };
}

const YAST_NS = 'http://www.suse.com/1.0/yast2ns';
const CONFIG_NS = 'http://www.suse.com/1.0/configns';
const CONFIG_TYPES = ['boolean', 'integer', 'list', 'symbol'];

/** AutoYaST reads only a <profile> in its namespace; config:type needs its own namespace and typed values. */
function profileNamespaceProblems(text: string, rootIndex: number): AnswerProblem[] {
  const problems: AnswerProblem[] = [];
  const tag = /^<profile(\s[^>]*)?>/.exec(text.slice(rootIndex))?.[1] ?? '';
  const xmlns = /\sxmlns\s*=\s*["']([^"']*)["']/.exec(tag)?.[1];
  const rootLine = lineOf(text, rootIndex);
  if (xmlns !== YAST_NS)
    problems.push({
      line: rootLine,
      message: xmlns ? `<profile> is in namespace "${xmlns}", not AutoYaST's` : '<profile> has no namespace: AutoYaST does not recognise it as a profile',
      hint: `<profile xmlns="${YAST_NS}" xmlns:config="${CONFIG_NS}">`,
    });
  const usesConfig = /\sconfig:type\s*=/.test(text);
  const configNs = /\sxmlns:config\s*=\s*["']([^"']*)["']/.exec(tag)?.[1];
  if (usesConfig && configNs !== CONFIG_NS)
    problems.push({
      line: rootLine,
      message: configNs ? `xmlns:config is "${configNs}", not ${CONFIG_NS}` : 'config:type is used but <profile> does not declare xmlns:config',
      hint: `add xmlns:config="${CONFIG_NS}" to <profile>`,
    });
  for (const m of text.matchAll(/<([A-Za-z_][\w.-]*)\s[^>]*config:type\s*=\s*["']([^"']*)["'][^>]*?(\/?)>(?:([^<]*)<\/\1>)?/g)) {
    const [, element, type, , value] = m;
    const line = lineOf(text, m.index!);
    if (!CONFIG_TYPES.includes(type)) problems.push({ line, message: `<${element}> has config:type="${type}" (AutoYaST knows ${CONFIG_TYPES.join(', ')})` });
    else if (type === 'boolean' && value !== undefined && !/^\s*(true|false)\s*$/.test(value))
      problems.push({ line, message: `<${element}> is a boolean but holds "${value.trim()}"`, hint: 'write true or false' });
    else if (type === 'integer' && value !== undefined && !/^\s*-?\d+\s*$/.test(value))
      problems.push({ line, message: `<${element}> is an integer but holds "${value.trim()}"` });
  }
  return problems;
}

/** Inserts `insert` just before the closing tag of the first `<tag>` element, or returns undefined. */
function insertInto(text: string, tag: string, insert: string): string | undefined {
  const close = text.indexOf(`</${tag}>`);
  if (close < 0) return undefined;
  return text.slice(0, close) + insert + '\n' + text.slice(close);
}

function setFlag(text: string, name: string, value: boolean): { text: string; changed: boolean } {
  const re = new RegExp(`(<${name}(?:\\s[^>]*)?>)\\s*(true|false)\\s*(</${name}>)`);
  const m = re.exec(text);
  if (m) return { text: text.replace(re, `$1${value}$3`), changed: m[2] !== String(value) };
  const element = `<${name} config:type="boolean">${value}</${name}>`;
  const inMode = insertInto(text, 'mode', element);
  if (inMode) return { text: inMode, changed: true };
  const inGeneral = insertInto(text, 'general', `<mode>${element}</mode>`);
  if (inGeneral) return { text: inGeneral, changed: true };
  return { text: insertInto(text, 'profile', `<general><mode>${element}</mode></general>`)!, changed: true };
}

/**
 * A user's profile: Oz's root password substitution (root's user_password, now a crypt hash),
 * final_halt instead of a reboot, and ozkit's pre-script and chroot-script added to the lists.
 */
export function adaptUserAutoyast(text: string, ctx: RenderContext): RenderedAnswer & { lint: AutoyastLint } {
  const lint = lintAutoyast(text, { customizationFollows: ctx.customizationFollows, requirePoweroff: false });
  const notes: string[] = [];
  if (lint.errors.length > 0) return { text, notes, warnings: [], sshd: lint.sshd, lint };
  let out = text;
  if (ctx.rootHash) {
    const rootUser = /<user(\s[^>]*)?>((?:(?!<\/user>)[\s\S])*<username>\s*root\s*<\/username>(?:(?!<\/user>)[\s\S])*)<\/user>/.exec(out);
    const fields = `<encrypted config:type="boolean">true</encrypted><user_password>${xml(ctx.rootHash)}</user_password>`;
    if (rootUser) {
      const body = rootUser[2]
        .replace(/<encrypted(\s[^>]*)?>[\s\S]*?<\/encrypted>/g, '')
        .replace(/<user_password(\s[^>]*)?>[\s\S]*?<\/user_password>|<user_password\s*\/>/g, '');
      out = out.slice(0, rootUser.index) + `<user${rootUser[1] ?? ''}>${body}${fields}</user>` + out.slice(rootUser.index + rootUser[0].length);
      notes.push("root's password replaced by the TDL's (hashed)");
    } else {
      const user = `<user><username>root</username>${fields}</user>`;
      out = insertInto(out, 'users', user) ?? insertInto(out, 'profile', `<users config:type="list">${user}</users>`)!;
      notes.push('the profile sets no root password: added one');
    }
  }
  const reboot = setFlag(out, 'final_reboot', false);
  out = reboot.text;
  const halt = setFlag(out, 'final_halt', true);
  out = halt.text;
  if (reboot.changed || halt.changed) notes.push('final_halt set (guest-install needs the VM to power off at the end)');
  const pre = loadedScript(ctx.access);
  const chroot = buildAccessScript(ctx.access, lint.sshd);
  if (!/<scripts(\s[^>]*)?>/.test(out))
    out = insertInto(
      out,
      'profile',
      `<scripts>\n<pre-scripts config:type="list">\n${pre}\n</pre-scripts>\n<chroot-scripts config:type="list">\n${chroot}\n</chroot-scripts>\n</scripts>`,
    )!;
  else {
    out = insertInto(out, 'pre-scripts', pre) ?? insertInto(out, 'scripts', `<pre-scripts config:type="list">\n${pre}\n</pre-scripts>`)!;
    out = insertInto(out, 'chroot-scripts', chroot) ?? insertInto(out, 'scripts', `<chroot-scripts config:type="list">\n${chroot}\n</chroot-scripts>`)!;
  }
  return { text: out, notes, warnings: [], sshd: lint.sshd, lint };
}
