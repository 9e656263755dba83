import { readFile } from 'node:fs/promises';
import { OzkitError } from '@ozkit/errors';
import { checkDocumentPath, requireKey, type BuildDocument, type Disk, type Template, type TemplateCommand } from '@ozkit/build-document';
import { cacheArea } from '@ozkit/config';
import { loadPrivateKey } from '@ozkit/ssh';
import type { CustomizeOptions } from './customize-guest.js';
import { planPackageTransaction } from './package-transaction.js';
import { planRepositories } from './repository-plan.js';
import { selectSealOperations, type SealOperation } from './seal-operations.js';
import { resolveContent, type FetchOptions } from './template-content.js';

/** A precommand or command, its content resolved on the host. */
export interface PreparedScript {
  label: string;
  step: 'precommands' | 'commands';
  name: string;
  data: Buffer;
}

/** Everything customizeGuest needs, checked before a VM boots. */
export interface CustomizeInputs {
  template: Template;
  disk: Disk;
  workdir: string;
  privateKey: Buffer;
  /** The build key's public line, removed by sealing ('' without sealing). */
  buildPublicKey: string;
  sealOperations: SealOperation[];
  scripts: PreparedScript[];
  files: { path: string; data: Buffer }[];
  fetchOptions: FetchOptions;
}

/**
 * The document's keys, the build key, and the template's content (raw, base64 and url
 * contents resolved, package references checked): everything that can be wrong is found
 * before a VM boots.
 */
export async function readCustomizeInputs(doc: BuildDocument, options: CustomizeOptions): Promise<CustomizeInputs> {
  const { settings, signal } = options;
  const template = requireKey(doc, 'template', 'tdl-validate');
  const disk = requireKey(doc, 'disk', 'guest-install');
  const workdir = requireKey(doc, 'workdir', 'tdl-validate');
  if (doc.answer?.sshd === false)
    throw new OzkitError('BAD_ANSWER_FILE', `the answer file ${doc.answer.path} leaves the installed system without sshd, so guest-customize cannot log in`, {
      hint: "install and enable openssh-server in the answer file (ks-render's default answer files do)",
    });
  // The disk is copied and booted, the key files read: only ones the pipeline wrote (workdir,
  // cache) or the --key the user named, never any file an edited document points at.
  const scope = { workdir, folders: [settings.cacheDir], inputs: options.privateKey ? [options.privateKey, `${options.privateKey}.pub`] : [] };
  checkDocumentPath(disk.path, 'disk.path', scope, { regularFile: true });
  const recorded = disk.buildKey ? 'disk.buildKey' : 'answer.buildKey';
  const keyPath = options.privateKey ?? disk.buildKey?.privateKey ?? doc.answer?.buildKey?.privateKey;
  if (!keyPath)
    throw new OzkitError('BAD_DOCUMENT', 'no build key: neither disk.buildKey nor answer.buildKey is in the document', {
      hint: 'run ks-render and guest-install first, or pass --key FILE',
    });
  const publicKeyPath = options.privateKey ? `${options.privateKey}.pub` : (disk.buildKey?.publicKey ?? doc.answer?.buildKey?.publicKey ?? `${keyPath}.pub`);
  if (!options.privateKey) {
    checkDocumentPath(keyPath, `${recorded}.privateKey`, scope, { regularFile: true });
    checkDocumentPath(publicKeyPath, `${recorded}.publicKey`, scope, { regularFile: true });
  }
  const privateKey = await loadPrivateKey(keyPath);
  const seal = options.seal ?? true;
  const sealOperations = seal ? selectSealOperations(options.sealOps) : [];
  const buildPublicKey = seal ? await readPublicKey(publicKeyPath) : '';

  const fetchOptions: FetchOptions = { cacheDir: cacheArea(settings, 'customize-downloads'), offline: settings.offline, signal };
  const scripts = [
    ...(await prepareScripts('precommands', template.precommands ?? [], fetchOptions)),
    ...(await prepareScripts('commands', template.commands ?? [], fetchOptions)),
  ];
  const files: CustomizeInputs['files'] = [];
  for (const file of template.files ?? []) {
    const label = `file ${file.name}`;
    if (!file.name.startsWith('/')) throw new OzkitError('BAD_TDL', `${label}: the file name must be an absolute path in the guest`);
    files.push({ path: file.name, data: await resolveContent({ label, type: file.type, content: file.content }, fetchOptions) });
  }
  // Repository references of packages are checked now; the command itself needs the guest's package manager.
  planPackageTransaction(template.packages ?? [], 'dnf', planRepositories(template.repositories ?? [], 'dnf', { files: template.files ?? [] }).repositories);
  return { template, disk, workdir, privateKey, buildPublicKey, sealOperations, scripts, files, fetchOptions };
}

async function prepareScripts(step: 'precommands' | 'commands', list: TemplateCommand[], fetchOptions: FetchOptions): Promise<PreparedScript[]> {
  const scripts: PreparedScript[] = [];
  for (const [i, command] of list.entries()) {
    const label = `${step === 'precommands' ? 'precommand' : 'command'} ${command.position ?? i + 1} (${command.name})`;
    scripts.push({ label, step, name: command.name, data: await resolveContent({ label, type: command.type, content: command.content }, fetchOptions) });
  }
  return scripts;
}

async function readPublicKey(path: string): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (error) {
    throw new OzkitError(
      'INPUT_MISSING',
      `${path}: cannot read the build public key (needed to remove it when sealing): ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}
