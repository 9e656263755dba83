import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { OzkitError, OzkitErrorList } from '@ozkit/errors';
import { readBounded, type Answer, type AnswerFormat, type BuildDocument, type DocumentWith, type OsFamily, type Template } from '@ozkit/build-document';
import { silentLogger, type Logger } from '@ozkit/log';
import { hostnameFor, serialConsoleFor, type AnswerProblem, type MirrorSettings, type RenderContext, type RenderedAnswer } from './answer-context.js';
import { renderMetaData } from './autoinstall/render-autoinstall.js';
import { adaptUserAnswer, lintFinalAnswer, renderDefaultAnswer, userRootPassword } from './answer-renderers.js';
import { detectAnswerFormat, FAMILY_FOR_FORMAT, FORMATS_FOR_FAMILY } from './answer-format.js';
import { bootFactsFor } from './boot-arguments.js';
import { buildAccessFor, generateBuildKey, newBuildId } from './build-access.js';
import { resolveOs, type OsRelease } from './os-catalog.js';
import { PendingFiles } from './pending-files.js';
import { generatePassword, readTemplateRootPassword, stablePasswordToken } from './root-password.js';
import { sha512Crypt } from './sha512-crypt.js';
import { kickstartReleaseFor, type KickstartRelease } from './kickstart/kickstart-grammar.js';
import { fixKickstart } from './kickstart/kickstart-fix.js';
import type { LintLevel } from './kickstart/kickstart-lint.js';

export interface RenderAnswerOptions {
  /** The user's own answer file (`--auto`, Oz's `-a`). */
  autoFile?: string;
  logger?: Logger;
  /** `--lint`: grammar problems refuse the file (default), are only warned about, or are not checked. */
  lint?: LintLevel;
  /** `--fix`: repair the mechanical grammar mistakes in the copy that goes into the workdir. */
  fix?: boolean;
  /** SIGINT/SIGTERM: ends a read that would wait forever (an --auto FIFO without writer). */
  signal?: AbortSignal;
  /** The archive mirror settings for a default preseed (see MirrorSettings). */
  mirrors?: MirrorSettings;
  /** `[cache] packages`: the package cache's URL as the guest sees it, for a default preseed's proxy. */
  packageProxy?: string;
}

/** The largest --auto file accepted: answer files are a few KiB; /dev/zero must not fill memory. */
const MAX_AUTO_BYTES = 4 * 1024 * 1024;

/** File names in the workdir. */
export const ANSWER_FILE_NAMES: Record<AnswerFormat, string> = {
  kickstart: 'ks.cfg',
  preseed: 'preseed.cfg',
  autoinstall: 'user-data',
  autoyast: 'autoinst.xml',
};
export const BUILD_KEY_NAME = 'build-key';
export const GENERATED_PASSWORD_NAME = 'root-password';

function customizationFollows(t: Template): boolean {
  return t.packages.length + t.files.length + t.commands.length + t.precommands.length + t.repositories.length > 0;
}

function toErrors(problems: AnswerProblem[], file: string, code: 'BAD_ANSWER_FILE' | 'INTERNAL'): OzkitError {
  const errors = problems.map(
    (p) =>
      new OzkitError(code, `${file}${p.line ? `:${p.line}${p.column ? `:${p.column}` : ''}` : ''}: ${p.message}`, {
        location: { file, ...(p.line ? { line: p.line } : {}), ...(p.column ? { column: p.column } : {}) },
        ...(p.hint ? { hint: p.hint } : {}),
      }),
  );
  return errors.length === 1 ? errors[0] : new OzkitErrorList(errors);
}

async function readUserFile(path: string, signal?: AbortSignal): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readBounded(path, {
      maxBytes: MAX_AUTO_BYTES,
      signal,
      tooLarge: (label, max) => new OzkitError('BAD_ANSWER_FILE', `${label}: larger than ${max} bytes; not an answer file`),
    });
  } catch (error) {
    if (error instanceof OzkitError || signal?.aborted) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new OzkitError(code === 'ENOENT' ? 'INPUT_MISSING' : 'IO', `${path}: cannot read the answer file: ${code ?? (error as Error).message}`, {
      hint: code === 'ENOENT' ? 'check the --auto path' : undefined,
    });
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/^\uFEFF/, '');
  } catch {
    throw new OzkitError('BAD_ANSWER_FILE', `${path}: not UTF-8 text`, { hint: 'answer files are text; convert it with iconv' });
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    const before = bytes.subarray(0, nul).toString('utf8');
    const line = before.split('\n').length;
    throw new OzkitError('BAD_ANSWER_FILE', `${path}:${line}:${nul - before.lastIndexOf('\n')}: a NUL byte; answer files are text`, {
      hint: 'the file is binary or damaged',
    });
  }
  return text;
}

/** `--fix` on a copy: each repair reported as FILE:LINE: fixed: …; the user's file stays as it is. */
function applyFixes(format: AnswerFormat, text: string, file: string, release: KickstartRelease | undefined, logger: Logger): string {
  if (format !== 'kickstart' || !release) return text;
  const result = fixKickstart(text, release);
  for (const f of result.fixed) logger.warn(`${file}:${f.line}: fixed: ${f.description}`);
  return result.text;
}

/** Decides format and family: from the TDL's OS, and for --auto also from the file itself. */
function chooseFormat(
  template: Template,
  userText: string | undefined,
  autoFile: string | undefined,
  logger: Logger,
): { os?: OsRelease; format: AnswerFormat; family: OsFamily } {
  let os: OsRelease | undefined;
  let unknown: OzkitError | undefined;
  try {
    os = resolveOs(template.os.name, template.os.version);
  } catch (error) {
    if (!(error instanceof OzkitError) || userText === undefined) throw error;
    unknown = error;
  }
  if (userText === undefined) return { os, format: os!.format, family: os!.family };
  const detected = detectAnswerFormat(userText);
  if (!detected)
    throw new OzkitError('BAD_ANSWER_FILE', `${autoFile}: cannot tell whether this is a kickstart, a preseed, autoinstall user-data or an AutoYaST profile`, {
      hint: 'kickstart (Red Hat family), d-i preseed (Debian, Ubuntu ≤ 19.10), autoinstall user-data starting with #cloud-config (Ubuntu 20.04+) and AutoYaST <profile> XML (openSUSE, SLES) are supported',
    });
  if (!os) {
    logger.warn(`${unknown!.message}; using --auto ${autoFile} as ${detected}`);
    return { format: detected, family: FAMILY_FOR_FORMAT[detected] };
  }
  if (!FORMATS_FOR_FAMILY[os.family].includes(detected))
    throw new OzkitError('BAD_ANSWER_FILE', `${autoFile}: looks like ${detected}, but ${os.label} installs from ${FORMATS_FOR_FAMILY[os.family].join(' or ')}`, {
      hint: 'give the answer file for this operating system, or fix <os><name> in the TDL',
    });
  return { os, format: detected, family: os.family };
}

/**
 * The ks-render stage: renders the default answer file for the template's OS, or adapts the
 * user's, lints it, writes it with the per-build key (and a generated root password when the
 * TDL has none) into the workdir, and adds `answer` to the document.
 */
export async function renderAnswer(doc: DocumentWith<'template' | 'workdir'>, options: RenderAnswerOptions = {}): Promise<BuildDocument> {
  const logger = options.logger ?? silentLogger('ks-render');
  const template = doc.template;
  // runStage has checked that the workdir is an absolute path.
  const workdir = resolve(doc.workdir);
  const autoFile = options.autoFile !== undefined ? resolve(options.autoFile) : undefined;
  const original = autoFile !== undefined ? await readUserFile(autoFile, options.signal) : undefined;
  const lint = options.lint ?? 'error';

  const { os, format, family } = chooseFormat(template, original, autoFile, logger);
  const kickstartRelease = format === 'kickstart' && os ? kickstartReleaseFor(os) : undefined;
  if (kickstartRelease?.fallbackFrom) logger.warn(`${os!.label}: no kickstart grammar for it yet; checking with the newest known (${kickstartRelease.name})`);
  const userText = original !== undefined && options.fix ? applyFixes(format, original, autoFile!, kickstartRelease, logger) : original;
  if (os?.fallbackFrom && userText === undefined) {
    const used = os.distro === 'ubuntu' ? 'the Ubuntu 20.04+ autoinstall template' : `the ${os.label.replace(/ [^ ]+$/, '')} ${os.major} template`;
    logger.warn(`${os.label} is newer than any release ks-render knows: using ${used}`);
  }

  const tdlPassword = await readTemplateRootPassword(template, { workdir, signal: options.signal });
  const customization = customizationFollows(template);
  const buildId = newBuildId();
  const key = generateBuildKey(buildId);
  const serial = serialConsoleFor(template.os.arch);
  const access = buildAccessFor(format, buildId, key.publicKey, serial.device);
  const osForContext: OsRelease = os ?? {
    family,
    format,
    distro: family === 'redhat' ? 'rhel' : family === 'debian' ? 'debian' : family === 'suse' ? 'opensuse' : 'ubuntu',
    label: `${template.os.name} ${template.os.version}`,
    major: 0,
  };
  const base: Omit<RenderContext, 'rootHash'> = {
    os: osForContext,
    template,
    hostname: hostnameFor(template.name),
    access,
    customizationFollows: customization,
    serialConsole: serial.console,
    lint,
    ...(kickstartRelease ? { kickstartRelease } : {}),
    mirrors: options.mirrors ?? {},
    ...(options.packageProxy ? { packageProxy: options.packageProxy } : {}),
  };

  // The root password: the TDL's (Oz's substitution), else the user file's own, else generated.
  const userRoot = userText !== undefined ? userRootPassword(format, userText) : { sets: false };
  let generatedPassword: string | undefined;
  if (tdlPassword === undefined && !userRoot.sets) generatedPassword = generatePassword();
  const password = tdlPassword ?? generatedPassword;
  const rootHash = password !== undefined ? sha512Crypt(password) : undefined;
  const ctx: RenderContext = { ...base, ...(rootHash ? { rootHash } : {}) };

  let rendered: RenderedAnswer;
  if (userText === undefined) {
    rendered = renderDefaultAnswer(format, ctx);
  } else {
    const adapted = adaptUserAnswer(format, userText, autoFile!, ctx);
    const located = (p: AnswerProblem) => `${autoFile}${p.line ? `:${p.line}${p.column ? `:${p.column}` : ''}` : ''}: ${p.message}`;
    for (const w of adapted.lint.warnings) logger.warn(located(w));
    if (adapted.lint.errors.length > 0) throw toErrors(adapted.lint.errors, autoFile!, 'BAD_ANSWER_FILE');
    rendered = adapted;
  }

  const answerPath = join(workdir, ANSWER_FILE_NAMES[format]);
  const final = lintFinalAnswer(format, rendered.text, answerPath, base);
  if (final.errors.length > 0) throw toErrors(final.errors, answerPath, userText === undefined ? 'INTERNAL' : 'BAD_ANSWER_FILE');

  await mkdir(workdir, { recursive: true });
  const files = new PendingFiles();
  files.add(answerPath, rendered.text, 0o600);
  const extraFiles: { name: string; path: string }[] = [];
  if (format === 'autoinstall') {
    const metaPath = join(workdir, 'meta-data');
    files.add(metaPath, renderMetaData(ctx), 0o644);
    extraFiles.push({ name: 'meta-data', path: metaPath });
  }
  const privateKey = join(workdir, BUILD_KEY_NAME);
  const publicKey = `${privateKey}.pub`;
  files.add(privateKey, key.privateKey, 0o600);
  files.add(publicKey, key.publicKey + '\n', 0o644);
  const passwordFile = join(workdir, GENERATED_PASSWORD_NAME);
  if (generatedPassword !== undefined) files.add(passwordFile, generatedPassword + '\n', 0o600);
  await files.commit();

  for (const note of rendered.notes) logger.info(userText !== undefined ? `${autoFile}: ${note}` : note);
  for (const w of rendered.warnings) logger.warn(w);
  if (generatedPassword !== undefined) logger.info(`no root password in the TDL: generated one in ${passwordFile} (mode 0600)`);
  logger.info(`${userText !== undefined ? 'adapted' : 'rendered'} ${format} for ${osForContext.label}: ${answerPath}`);

  const stableText = rendered.text
    .split(key.publicKey)
    .join('@@OZKIT-BUILD-KEY@@')
    .split(buildId)
    .join('@@OZKIT-BUILD-ID@@')
    .split(rootHash ?? '\u0000never\u0000')
    .join(stablePasswordToken(tdlPassword));
  const boot = bootFactsFor(format, family, serial.console);
  const answer: Answer = {
    format,
    family,
    path: answerPath,
    sha256: createHash('sha256').update(rendered.text).digest('hex'),
    stableSha256: createHash('sha256').update(stableText).digest('hex'),
    ...(extraFiles.length > 0 ? { extraFiles } : {}),
    kernelArgs: boot.kernelArgs,
    placement: boot.placement,
    marker: access.marker,
    buildKey: { privateKey, publicKey },
    rootPassword: template.os.rootpw
      ? template.os.rootpw
      : generatedPassword !== undefined
        ? { generated: true, file: passwordFile }
        : { set: true, file: autoFile!, ...(userRoot.line ? { line: userRoot.line } : {}) },
    user: userText !== undefined,
    sshd: rendered.sshd,
    // Extra keys (documented in the README of ks-render):
    locator: boot.locator,
    loadedMarker: access.loadedMarker,
    failedMarker: access.failedMarker,
    buildId,
    os: os
      ? {
          distro: os.distro,
          label: os.label,
          major: os.major,
          ...(os.minor !== undefined ? { minor: os.minor } : {}),
          ...(os.fallbackFrom ? { requested: os.fallbackFrom } : {}),
        }
      : { distro: 'unknown', label: `${template.os.name} ${template.os.version}` },
    ...(autoFile !== undefined ? { source: autoFile } : {}),
    customization: customization,
  };
  return { ...doc, answer };
}
