import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AnswerProblem } from '../answer-context.js';
import { suggestion } from '../kickstart/kickstart-grammar-check.js';

/**
 * subiquity's published JSON schema for the autoinstall section (data/autoinstall-schema.json,
 * written by scripts/regenerate-autoinstall-schema.sh with the subiquity commit it came from).
 * The validator (ajv) and the schema are loaded on the first autoinstall check only. String
 * formats are not checked (subiquity's own validation does not check them either).
 */

interface SchemaFile {
  source: { project: string; commit: string; date: string };
  schema: { properties: Record<string, unknown> } & Record<string, unknown>;
}

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

type Validate = ((data: unknown) => boolean) & { errors?: AjvError[] | null };

let loaded: { file: SchemaFile; validate: Validate } | undefined;

function schemaValidator(): { file: SchemaFile; validate: Validate } {
  if (loaded) return loaded;
  const file = JSON.parse(readFileSync(new URL('../../data/autoinstall-schema.json', import.meta.url), 'utf8')) as SchemaFile;
  const require = createRequire(import.meta.url);
  const Ajv = (require('ajv') as { default: new (options: object) => { compile(schema: object): Validate } }).default;
  const validate = new Ajv({ allErrors: true, strict: false, validateFormats: false, logger: false }).compile(file.schema);
  loaded = { file, validate };
  return loaded;
}

export function autoinstallSchemaSource(): SchemaFile['source'] {
  return schemaValidator().file.source;
}

/**
 * Validates the autoinstall mapping; each problem located by the YAML line and column of the
 * value (or key) it is about. `base` is the JSON pointer of the mapping in the document.
 */
export function checkAutoinstallSchema(
  autoinstall: unknown,
  base: string,
  locate: () => Record<string, [number, number]>,
): { errors: AnswerProblem[]; warnings: AnswerProblem[] } {
  const { file, validate } = schemaValidator();
  const errors: AnswerProblem[] = [];
  const warnings: AnswerProblem[] = [];
  // The YAML is read again for positions only when there is something to locate.
  let marks: Record<string, [number, number]> | undefined;
  const markOf = (key: string): [number, number] | undefined => (marks ??= locate())[key];
  const where = (pointer: string): { line?: number; column?: number } => {
    for (let p = pointer; ; p = p.slice(0, p.lastIndexOf('/'))) {
      const mark = markOf(p === '' ? '/' : p);
      if (mark) return { line: mark[0], column: mark[1] };
      if (p === '') return {};
    }
  };
  const version = `subiquity's autoinstall schema (${file.source.commit.slice(0, 12)}, ${file.source.date})`;
  if (!validate(autoinstall)) {
    const seen = new Set<string>();
    for (const e of validate.errors ?? []) {
      const path = base + e.instancePath;
      const shown = e.instancePath === '' ? 'autoinstall' : `autoinstall${e.instancePath.replace(/\//g, '.')}`;
      let message: string;
      let at = where(path);
      let hint: string | undefined;
      if (e.keyword === 'additionalProperties') {
        const key = String(e.params.additionalProperty);
        const keyMark = markOf(`${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}#key`);
        if (keyMark) at = { line: keyMark[0], column: keyMark[1] };
        message = `${shown}: unknown key "${key}"`;
        hint = 'check the spelling against the autoinstall reference for this section';
      } else if (e.keyword === 'enum') {
        message = `${shown}: ${e.message} (${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')})`;
      } else if (e.keyword === 'required') {
        message = `${shown}: "${String(e.params.missingProperty)}" is required`;
      } else message = `${shown} ${e.message}`;
      const id = `${at.line}:${at.column}:${message}`;
      if (seen.has(id)) continue;
      seen.add(id);
      errors.push({ ...at, message: `${message} (${version})`, ...(hint ? { hint } : {}) });
    }
  }
  // The top level allows any key (subiquity ignores unknown ones): a misspelling is silently dropped.
  if (typeof autoinstall === 'object' && autoinstall !== null && !Array.isArray(autoinstall)) {
    const known = Object.keys(file.schema.properties);
    for (const key of Object.keys(autoinstall)) {
      if (known.includes(key)) continue;
      const near = suggestion(key, known);
      const mark = markOf(`${base}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}#key`);
      warnings.push({
        ...(mark ? { line: mark[0], column: mark[1] } : {}),
        message: `autoinstall: "${key}" is not a key subiquity knows; it is ignored`,
        hint: near ?? 'remove it',
      });
    }
  }
  return { errors, warnings };
}
