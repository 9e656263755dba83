import { readdirSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { vocabulary, type OptionDescriptor } from '@ozkit/config';
import type { CliSpec } from '@ozkit/command';

const root = fileURLToPath(new URL('..', import.meta.url));

async function toolSpecs(): Promise<CliSpec[]> {
  const specs: CliSpec[] = [];
  for (const tool of readdirSync(join(root, 'tools')).sort()) {
    const source = join(root, 'tools', tool, 'src', 'options.ts');
    if (existsSync(source)) specs.push(((await import(source)) as { cli: CliSpec }).cli);
  }
  return specs;
}

describe('one option vocabulary', () => {
  it('every tool declares its options in src/options.ts', async () => {
    const specs = await toolSpecs();
    expect(specs.map((s) => s.tool)).toEqual(
      readdirSync(join(root, 'tools'))
        .filter((t) => existsSync(join(root, 'tools', t, 'src', 'cli.ts')))
        .sort(),
    );
  });

  it('a flag with a vocabulary name means what the vocabulary says in every tool (kind, alias, setting, choices, old names)', async () => {
    const facts = (o: OptionDescriptor) => ({ kind: o.kind, short: o.short, setting: o.setting, choices: o.choices, deprecated: o.deprecated });
    for (const spec of await toolSpecs())
      for (const [flag, option] of Object.entries(spec.options)) {
        const shared = (vocabulary as Record<string, OptionDescriptor>)[flag];
        if (shared) expect(facts(option), `${spec.tool} --${flag}`).toEqual(facts(shared));
      }
  });

  it('only vocabulary entries set settings, and each setting has one flag', async () => {
    const flagOf = new Map<string, string>();
    for (const [flag, option] of Object.entries(vocabulary) as [string, OptionDescriptor][])
      if (option.setting) {
        expect(flagOf.get(option.setting), `${option.setting} has two flags`).toBeUndefined();
        flagOf.set(option.setting, flag);
      }
    for (const spec of await toolSpecs())
      for (const [flag, option] of Object.entries(spec.options))
        if (option.setting) expect(flag, `${spec.tool} --${flag} sets ${option.setting}`).toBe(flagOf.get(option.setting));
  });

  it('no two flags of a tool share a short alias or an old name', async () => {
    for (const spec of await toolSpecs()) {
      const names = Object.entries(spec.options).flatMap(([flag, o]) => [flag, ...(o.short ? [o.short] : []), ...(o.deprecated ?? [])]);
      expect(names.length, spec.tool).toBe(new Set(names).size);
    }
  });
});
