/** The document-key table of docs/architecture.md, made from the stage declarations. */
import { DOCUMENT_KEYS } from '@ozkit/build-document';
import { STAGES } from './stage-declarations.js';

const top = (path: string) => path.split('.')[0];
const list = (items: string[]) => (items.length === 0 ? '—' : items.join(', '));

export function documentKeyTable(): string {
  const rows = ['| key | written by | needed by | read when present by |', '|---|---|---|---|'];
  for (const key of Object.keys(DOCUMENT_KEYS).filter((k) => k !== 'stages')) {
    const produces = (s: (typeof STAGES)[number]) => (typeof s.produces === 'string' ? [s.produces] : [...s.produces]);
    const writers =
      key === 'failure'
        ? [
            'any stage that fails',
            ...STAGES.filter((s) => produces(s).some((p) => top(p) === key)).map(
              (s) =>
                `${s.name} (${produces(s)
                  .filter((p) => top(p) === key)
                  .join(', ')})`,
            ),
          ]
        : STAGES.filter((s) => produces(s).includes(key as never)).map((s) => s.name);
    const needers = STAGES.filter((s) => s.needs.includes(key)).map((s) => s.name);
    const users = STAGES.flatMap((s) => {
      const paths = (s.uses ?? []).filter((p) => top(p) === key);
      if (paths.length === 0) return [];
      return [paths.length === 1 && paths[0] === key ? s.name : `${s.name} (${paths.map((p) => p.slice(key.length + 1)).join(', ')})`];
    });
    rows.push(`| \`${key}\` | ${list(writers)} | ${list(needers)} | ${list(users)} |`);
  }
  return rows.join('\n');
}
