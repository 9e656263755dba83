import { readFileSync } from 'node:fs';
import type { AnswerProblem } from '../answer-context.js';
import { editDistance } from '../kickstart/kickstart-grammar-check.js';
import { findEntry, type PreseedDocument } from './preseed-syntax.js';

/**
 * The d-i semantics that stall an install although every line parses, and question names
 * checked against the questions d-i defines (data/debian-installer-questions.json, written by
 * scripts/regenerate-di-questions.sh from the netboot initrd's templates, with its version).
 */

interface QuestionsFile {
  source: { package: string; version: string; udebs: string[] };
  questions: Record<string, string>;
}

let questionsFile: QuestionsFile | undefined;
function diQuestions(): QuestionsFile {
  questionsFile ??= JSON.parse(readFileSync(new URL('../../data/debian-installer-questions.json', import.meta.url), 'utf8')) as QuestionsFile;
  return questionsFile;
}

/**
 * Namespaces whose every question comes from a udeb inside the initrd: a name there that the
 * templates lack is a misspelling. Other namespaces (partman, pkgsel, passwd, grub-installer, …)
 * come from udebs d-i downloads later, so their names are not judged.
 */
const CHECKED_NAMESPACES = [
  'netcfg',
  'localechooser',
  'hw-detect',
  'anna',
  'ethdetect',
  'save-logs',
  'lowmem',
  'retriever',
  'console-setup',
  'keyboard-configuration',
  'preseed',
  'auto-install',
  'debian-installer',
];

/** What apt accepts as a package in pkgsel/include: name, optional :arch, =version or /release. */
const APT_PACKAGE = /^[a-z0-9][a-z0-9+.-]+(:[a-z0-9-]+)?(=[A-Za-z0-9.+~:-]+|\/[A-Za-z0-9.-]+)?$/;

/** Asked at critical priority, so even a fully automatic install stops for them. */
const PARTMAN_CONFIRMATIONS: [string, string][] = [
  ['partman/confirm', 'boolean true'],
  ['partman/confirm_nooverwrite', 'boolean true'],
];
const LVM_CONFIRMATIONS: [string, string][] = [
  ['partman-lvm/confirm', 'boolean true'],
  ['partman-lvm/confirm_nooverwrite', 'boolean true'],
];

export function checkPreseedSemantics(doc: PreseedDocument): { errors: AnswerProblem[]; warnings: AnswerProblem[] } {
  const errors: AnswerProblem[] = [];
  const warnings: AnswerProblem[] = [];
  checkQuestionNames(doc, errors, warnings);
  checkPartman(doc, errors, warnings);
  checkMirror(doc, errors);
  checkPackages(doc, errors);
  return { errors, warnings };
}

function checkQuestionNames(doc: PreseedDocument, errors: AnswerProblem[], warnings: AnswerProblem[]): void {
  const { questions, source } = diQuestions();
  const names = Object.keys(questions);
  const from = `${source.package} ${source.version}`;
  for (const e of doc.entries) {
    if (e.owner !== 'd-i' || Object.hasOwn(questions, e.question)) {
      const known = questions[e.question];
      if (known && e.type !== known && !(known === 'select' && e.type === 'string') && e.type !== 'seen')
        warnings.push({ line: e.line, message: `${e.question} is a ${known} question in d-i, given as ${e.type}`, hint: `write "d-i ${e.question} ${known} …"` });
      continue;
    }
    const namespace = e.question.split('/')[0];
    if (!CHECKED_NAMESPACES.includes(namespace)) continue;
    let best: string | undefined;
    let distance = Infinity;
    for (const n of names) {
      if (Math.abs(n.length - e.question.length) > 3) continue;
      const d = editDistance(e.question, n);
      if (d < distance) [best, distance] = [n, d];
    }
    const column = (doc.lines[e.line - 1] ?? '').indexOf(e.question) + 1 || undefined;
    if (best && distance <= 3)
      errors.push({ line: e.line, column, message: `d-i has no question ${e.question} (${from}): d-i ignores the answer and asks`, hint: `did you mean ${best}?` });
    else
      warnings.push({
        line: e.line,
        column,
        message: `d-i has no question ${e.question} (${from})`,
        hint: "check the name in the installation guide's example preseed",
      });
  }
}

/** A recipe without its confirmations makes partman stop and ask, at every priority. */
function checkPartman(doc: PreseedDocument, errors: AnswerProblem[], warnings: AnswerProblem[]): void {
  const method = findEntry(doc, 'partman-auto/method');
  const recipe = doc.entries.find((e) => e.question.startsWith('partman-auto/') && e.question !== 'partman-auto/method');
  const driver = method ?? recipe;
  if (!driver || findEntry(doc, 'partman/early_command')) return;
  const wanted = [...PARTMAN_CONFIRMATIONS, ...(method && /lvm|crypto/.test(method.value) ? LVM_CONFIRMATIONS : [])];
  for (const [question, answer] of wanted) {
    const given = findEntry(doc, question);
    const expected = answer.split(' ')[1];
    if (!given || given.value.trim() !== expected)
      errors.push({
        line: given?.line ?? driver.line,
        message: given
          ? `${question} is "${given.value}", not ${expected}: partman stops and asks`
          : `${driver.question} (line ${driver.line}) without "${question} ${answer}": partman stops and asks`,
        hint: `add "d-i ${question} ${answer}"`,
      });
  }
  if (!findEntry(doc, 'partman-partitioning/confirm_write_new_label'))
    warnings.push({
      line: driver.line,
      message: 'no partman-partitioning/confirm_write_new_label: on a disk without a partition table d-i may ask before writing one',
      hint: 'add "d-i partman-partitioning/confirm_write_new_label boolean true"',
    });
}

function checkMirror(doc: PreseedDocument, errors: AnswerProblem[]): void {
  const hostname = findEntry(doc, 'mirror/http/hostname');
  const directory = findEntry(doc, 'mirror/http/directory');
  const country = findEntry(doc, 'mirror/country');
  if (hostname && !directory)
    errors.push({
      line: hostname.line,
      message: 'mirror/http/hostname without mirror/http/directory: d-i asks for the directory',
      hint: 'add "d-i mirror/http/directory string /debian" (or the mirror\'s path)',
    });
  if (directory && !hostname)
    errors.push({
      line: directory.line,
      message: 'mirror/http/directory without mirror/http/hostname: d-i asks for the mirror',
      hint: 'add "d-i mirror/http/hostname string HOST"',
    });
  if (country?.value.trim() === 'manual' && !hostname)
    errors.push({
      line: country.line,
      message: 'mirror/country manual without mirror/http/hostname: d-i asks for the mirror',
      hint: 'add mirror/http/hostname and mirror/http/directory',
    });
}

function checkPackages(doc: PreseedDocument, errors: AnswerProblem[]): void {
  for (const e of doc.entries) {
    if (e.question !== 'pkgsel/include') continue;
    for (const name of e.value.split(/[\s,]+/).filter(Boolean))
      if (!APT_PACKAGE.test(name))
        errors.push({
          line: e.line,
          column: (doc.lines[e.line - 1] ?? '').indexOf(name) + 1 || undefined,
          message: `pkgsel/include: "${name}" is not a package name apt accepts`,
          hint: 'lower-case letters, digits and + - . (optionally :arch, =version or /release), separated by spaces',
        });
  }
}
