// The kickstart corpus: seed files (ks-render's rendered defaults, Oz-style and image-project-style
// kickstarts in seeds/) and mutants of them made here by code. Shared by the corpus test and by
// scripts/regenerate-kickstart-verdicts.mjs, which asks the real ksvalidator for the verdicts.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** Seeds in seeds/: the releases each applies to are named in its first line. */
export function fileSeeds() {
  const dir = join(here, 'seeds');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ks'))
    .sort()
    .flatMap((f) => {
      const text = readFileSync(join(dir, f), 'utf8');
      const releases = /^# corpus-releases: (.+)$/m.exec(text)[1].trim().split(/\s+/);
      return releases.map((release) => ({ name: f.replace(/\.ks$/, ''), release, text }));
    });
}

/**
 * A rendered default kickstart made stable: script bodies, the password hash and the build key
 * change per build (and with other work on the build access), the grammar around them does not.
 */
export function stableDefault(text) {
  const out = [];
  let inScript = false;
  for (const line of text.split('\n')) {
    const word = line.trim().split(/\s+/)[0];
    if (inScript) {
      if (word === '%end') {
        out.push('true', line);
        inScript = false;
      }
      continue;
    }
    if (['%pre', '%post', '%pre-install', '%onerror', '%traceback'].includes(word)) inScript = true;
    if (word === 'rootpw') out.push('rootpw --iscrypted $6$ozkitcorpus$0123456789abcdefghijklmnopqrstuvwxyz');
    else if (word === 'sshkey') out.push('sshkey --username=root "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOzkitCorpusKeyOnly corpus"');
    else out.push(line);
  }
  return out.join('\n');
}

const lines = (text) => text.split('\n');
const isCommand = (l) => /^[a-z]/.test(l.trim()) && !l.trim().startsWith('#');
const commandName = (l) => l.trim().split(/\s+/)[0];
const firstLine = (ls, pred) => ls.findIndex(pred);

function replaceLine(text, pred, make) {
  const ls = lines(text);
  const i = firstLine(ls, pred);
  if (i < 0) return undefined;
  const made = make(ls[i]);
  if (made === undefined || made === ls[i]) return undefined;
  ls[i] = made;
  return ls.join('\n');
}

/** Inserts lines before the first section (so they are commands, not script text). */
function insertCommands(text, added) {
  const ls = lines(text);
  let i = ls.findIndex((l) => l.trim().startsWith('%'));
  if (i < 0) i = ls.length;
  ls.splice(i, 0, ...added);
  return ls.join('\n');
}

const onCommand = (name) => (l) => isCommand(l) && commandName(l) === name;
const hasCommand = (text, name) => lines(text).some(onCommand(name));
const optionWord = /(^|\s)(--[a-zA-Z][a-zA-Z0-9-]*)/;

/** Each mutation: a name and a function from the seed text to the mutant (undefined: not applicable). */
const MUTATIONS = [
  ['case-command', (t) => replaceLine(t, isCommand, (l) => l.replace(/[a-z]/, (c) => c.toUpperCase()))],
  ['case-text', (t) => replaceLine(t, onCommand('text'), (l) => l.replace('text', 'Text')) ?? insertCommands(t, ['Text'])],
  ['case-option', (t) => replaceLine(t, (l) => isCommand(l) && optionWord.test(l), (l) => l.replace(optionWord, (m, s, o) => s + o.slice(0, 3).toUpperCase() + o.slice(3)))],
  ['misspell-option', (t) => replaceLine(t, (l) => isCommand(l) && /--[a-z]{5,}/.test(l), (l) => l.replace(/--([a-z])([a-z])([a-z])([a-z]+)/, '--$1$3$2$4'))],
  ['misspell-fstype', (t) => replaceLine(t, (l) => /--fstype/.test(l) && isCommand(l), (l) => l.replace('--fstype', '--fstpye'))],
  ['abbreviate-option', (t) => replaceLine(t, (l) => /--fstype/.test(l) && isCommand(l), (l) => l.replace('--fstype', '--fstyp'))],
  ['abbreviate-bootproto', (t) => replaceLine(t, (l) => /--bootproto/.test(l) && isCommand(l), (l) => l.replace('--bootproto', '--bootpr'))],
  ['drop-option-value', (t) => replaceLine(t, (l) => isCommand(l) && /--[a-z-]+=\S+/.test(l), (l) => l.replace(/(--[a-z-]+)=\S+/, '$1'))],
  ['drop-all-arguments', (t) => replaceLine(t, (l) => isCommand(l) && /^(timezone|lang|keyboard|url|part|rootpw|services|repo|logvol|volgroup)\s/.test(l.trim()), (l) => commandName(l))],
  ['drop-first-option', (t) => replaceLine(t, (l) => isCommand(l) && /^(url|repo|logvol|user|network|bootloader)\s/.test(l.trim()) && optionWord.test(l), (l) => l.replace(/\s--[a-zA-Z-]+(=\S+|\s+[^-\s]\S*)?/, ''))],
  ['zerombr-yes', (t) => replaceLine(t, onCommand('zerombr'), (l) => `${l.trimEnd()} yes`) ?? insertCommands(t, ['zerombr yes'])],
  ['skipx-argument', (t) => insertCommands(t, ['skipx 1'])],
  ['text-argument', (t) => replaceLine(t, onCommand('text'), (l) => `${l.trimEnd()} now`)],
  ['poweroff-argument', (t) => replaceLine(t, (l) => isCommand(l) && ['poweroff', 'reboot', 'shutdown', 'halt'].includes(commandName(l)), (l) => `${l.trimEnd()} now`)],
  ['firstboot-value', (t) => insertCommands(t, ['firstboot --disabled=yes'])],
  ['duplicate-timezone', (t) => (hasCommand(t, 'timezone') ? insertCommands(t, ['timezone Europe/Berlin']) : undefined)],
  ['duplicate-identical', (t) => { const l = lines(t).find(onCommand('zerombr')); return l ? insertCommands(t, [l]) : undefined; }],
  ['text-and-graphical', (t) => (hasCommand(t, 'text') ? insertCommands(t, ['graphical']) : insertCommands(t, ['text', 'graphical']))],
  ['install', (t) => (hasCommand(t, 'install') ? undefined : insertCommands(t, ['install']))],
  ['upgrade', (t) => insertCommands(t, ['upgrade'])],
  ['auth', (t) => insertCommands(t, ['auth --useshadow --passalgo=sha512'])],
  ['authconfig', (t) => (hasCommand(t, 'authconfig') ? undefined : insertCommands(t, ['authconfig --enableshadow --passalgo=sha512']))],
  ['authselect', (t) => (hasCommand(t, 'authselect') ? undefined : insertCommands(t, ['authselect select minimal']))],
  ['method', (t) => insertCommands(t, ['method'])],
  ['device', (t) => insertCommands(t, ['device scsi mptspi'])],
  ['deviceprobe', (t) => insertCommands(t, ['deviceprobe'])],
  ['dmraid', (t) => insertCommands(t, ['dmraid --name=md0 --dev=sda'])],
  ['interactive', (t) => insertCommands(t, ['interactive'])],
  ['autostep', (t) => insertCommands(t, ['autostep'])],
  ['logging', (t) => insertCommands(t, ['logging --level=info'])],
  ['btrfs', (t) => insertCommands(t, ['btrfs none --data=0 btrfs.01'])],
  ['timesource', (t) => (hasCommand(t, 'timesource') ? undefined : insertCommands(t, ['timesource --ntp-server=ntp.example.org']))],
  ['timezone-ntpservers', (t) => insertCommands(t, ['timezone Etc/UTC --ntpservers=ntp.example.org'])],
  ['module', (t) => insertCommands(t, ['module --name=nodejs --stream=18'])],
  ['syspurpose', (t) => insertCommands(t, ['syspurpose --role="Red Hat Enterprise Linux Server" --sla=Premium'])],
  ['rhsm', (t) => insertCommands(t, ['rhsm --organization=1234 --activation-key=ozkit'])],
  ['ostreecontainer', (t) => insertCommands(t, ['ostreecontainer --url=quay.example.org/os:latest'])],
  ['text-non-interactive', (t) => replaceLine(t, onCommand('text'), () => 'text --non-interactive')],
  ['rootpw-allow-ssh', (t) => replaceLine(t, onCommand('rootpw'), (l) => `${l.trimEnd()} --allow-ssh`)],
  ['clearpart-cdl', (t) => replaceLine(t, onCommand('clearpart'), (l) => `${l.trimEnd()} --cdl`)],
  ['autopart-nohome', (t) => replaceLine(t, onCommand('autopart'), (l) => `${l.trimEnd()} --nohome`)],
  ['autopart-noswap', (t) => replaceLine(t, onCommand('autopart'), (l) => `${l.trimEnd()} --noswap`)],
  ['reboot-kexec', (t) => insertCommands(t, ['reboot --kexec'])],
  ['network-ipv6', (t) => replaceLine(t, onCommand('network'), (l) => `${l.trimEnd()} --ipv6=auto`)],
  ['network-bad-bootproto', (t) => replaceLine(t, (l) => onCommand('network')(l) && /--bootproto/.test(l), (l) => l.replace(/--bootproto[= ]\S+/, '--bootproto=dhcpp'))],
  ['bootloader-bad-location', (t) => replaceLine(t, onCommand('bootloader'), (l) => `${l.trimEnd()} --location=mbrr`)],
  ['bootloader-timeout-text', (t) => replaceLine(t, onCommand('bootloader'), (l) => `${l.trimEnd().replace(/\s--timeout=\S+/, '')} --timeout=soon`)],
  ['part-size-text', (t) => insertCommands(t, ['part /srv --fstype=xfs --size=big'])],
  ['flag-with-value', (t) => insertCommands(t, ['firewall --enabled=yes'])],
  ['autopart-with-part', (t) => (hasCommand(t, 'autopart') ? insertCommands(t, ['part / --fstype=xfs --size=4096']) : undefined)],
  ['part-with-autopart', (t) => (hasCommand(t, 'part') && !hasCommand(t, 'autopart') ? insertCommands(t, ['autopart --type=lvm']) : undefined)],
  ['duplicate-network-device', (t) => insertCommands(t, ['network --device=eth1 --bootproto=dhcp', 'network --device=eth1 --bootproto=static --ip=10.0.0.2 --netmask=255.255.255.0'])],
  ['duplicate-user', (t) => insertCommands(t, ['user --name=ozkit', 'user --name=ozkit --groups=wheel'])],
  ['stray-option-line', (t) => (/^%post/m.test(t) ? insertCommands(t, ['--log=/root/ks-post.log']) : undefined)],
  ['missing-end', (t) => replaceLine(t, (l) => l.trim() === '%end', () => '')],
  ['stray-end', (t) => insertCommands(t, ['%end'])],
  ['misspelled-section', (t) => replaceLine(t, (l) => l.trim().startsWith('%packages'), (l) => l.replace('%packages', '%package'))],
  ['unknown-section', (t) => `${t.trimEnd()}\n\n%postinstall\ntrue\n%end\n`],
  ['post-nochrot', (t) => `${t.trimEnd()}\n\n%post --nochrot\ntrue\n%end\n`],
  ['post-interpreter-relative', (t) => `${t.trimEnd()}\n\n%post --interpreter python3\nprint(1)\n%end\n`],
  ['post-interpreter-python', (t) => `${t.trimEnd()}\n\n%post --interpreter=/usr/bin/python3\nprint(1)\n%end\n`],
  ['packages-nobase', (t) => replaceLine(t, (l) => l.trim().startsWith('%packages') && !l.includes('--nobase'), (l) => `${l.trimEnd()} --nobase`)],
  ['packages-instlangs', (t) => replaceLine(t, (l) => l.trim().startsWith('%packages'), (l) => `${l.trimEnd()} --instLangs=en_US`)],
  ['packages-inst-langs', (t) => replaceLine(t, (l) => l.trim().startsWith('%packages'), (l) => `${l.trimEnd()} --inst-langs=en_US`)],
  ['addon-kdump', (t) => `${t.trimEnd()}\n\n%addon com_redhat_kdump --disable\n%end\n`],
  ['include-tmp-unwritten', (t) => insertCommands(t, ['%include /tmp/part-include'])],
  ['include-tmp-written', (t) => insertCommands(`${t.trimEnd()}\n\n%pre\necho 'autopart' > /tmp/part-include\n%end\n`, ['%include /tmp/part-include'])],
  ['unknown-command', (t) => insertCommands(t, ['packages @core'])],
  ['negative-number', (t) => insertCommands(t, ['part /var --fstype=xfs --size=-1'])],
];

/** Every case: the seeds as they are, then each applicable mutation of each. */
export function corpusCases(defaultSeeds) {
  // Mutants of the defaults for the oldest and newest RHEL and the newest Fedora; the other defaults as they are.
  const mutated = new Set(['RHEL7', 'RHEL9', 'RHEL10', `F${Math.max(...defaultSeeds.filter((s) => /^F\d+$/.test(s.release)).map((s) => Number(s.release.slice(1))))}`]);
  const seeds = [...defaultSeeds.map((s) => ({ ...s, text: stableDefault(s.text), seedOnly: !mutated.has(s.release) })), ...fileSeeds()];
  const cases = [];
  for (const seed of seeds) {
    const base = `${seed.name}@${seed.release}`;
    cases.push({ id: base, release: seed.release, mutation: 'seed', text: seed.text });
    if (seed.seedOnly) continue;
    for (const [name, mutate] of MUTATIONS) {
      const text = mutate(seed.text);
      if (text !== undefined && text !== seed.text) cases.push({ id: `${base}~${name}`, release: seed.release, mutation: name, text: text.endsWith('\n') ? text : `${text}\n` });
    }
  }
  return cases;
}

export const textHash = (text) => createHash('sha256').update(text).digest('hex').slice(0, 16);

/** The OSes whose rendered defaults are seeds: one per kickstart grammar ks-render renders for. */
export const DEFAULT_SEED_OSES = [
  { os: 'RHEL-7', version: '9', release: 'RHEL7' },
  { os: 'RHEL-8', version: '10', release: 'RHEL8' },
  { os: 'RHEL-9', version: '4', release: 'RHEL9' },
  { os: 'RHEL-10', version: '0', release: 'RHEL10' },
  ...[36, 37, 38, 39, 40, 41, 42, 43].map((n) => ({ os: 'Fedora', version: String(n), release: `F${n}` })),
];

/**
 * ks-render's rendered defaults, one per seed OS. The stage's functions come in as arguments so
 * the test can pass its sources and the regeneration script the built package.
 */
export async function renderDefaultSeeds({ renderAnswer, parseTdl, scratchDir }) {
  const { mkdtempSync, readFileSync: read, rmSync, writeFileSync } = await import('node:fs');
  const seeds = [];
  for (const o of DEFAULT_SEED_OSES) {
    const dir = mkdtempSync(join(scratchDir, 'ks-corpus-'));
    try {
      const xml = `<template><name>corpus</name><os><name>${o.os}</name><version>${o.version}</version><arch>x86_64</arch><rootpw>corpus</rootpw><install type="iso"><iso>http://media.example.org/install.iso</iso></install></os></template>\n`;
      const path = join(dir, 'corpus.tdl');
      writeFileSync(path, xml);
      const { template } = parseTdl(Buffer.from(xml), { path, checkLocalFiles: false });
      const doc = await renderAnswer({ ozkit: 1, workdir: join(dir, 'work'), template, stages: [] });
      seeds.push({ name: `default-${o.os.toLowerCase()}-${o.version}`, release: o.release, text: read(doc.answer.path, 'utf8') });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return seeds;
}
