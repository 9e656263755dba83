import { spawnSync } from 'node:child_process';
import { expect } from 'vitest';
import { parseKickstart, commands, sections } from './kickstart/kickstart-syntax.js';

/** Debian's own preseed parser: exit 0 and nothing on stderr (it only warns on unknown types). */
export function debconfCheck(path: string): { ok: boolean; stderr: string } {
  const r = spawnSync('debconf-set-selections', ['-c', path], { encoding: 'utf8' });
  return { ok: r.status === 0 && r.stderr.trim() === '', stderr: r.stderr };
}

/** user-data read by PyYAML (what subiquity uses) as JSON. */
export function loadYaml(text: string): unknown {
  const r = spawnSync('python3', ['-c', 'import sys,json,yaml; print(json.dumps(list(yaml.safe_load_all(sys.stdin.read()))))'], { input: text, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`YAML did not load: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** Structural kickstart checks: every section closed, known sections, no parse errors. */
export function kickstartStructure(text: string): { commands: string[]; sections: string[] } {
  const doc = parseKickstart(text);
  expect(doc.errors).toEqual([]);
  // Independently of the parser: %-headers and %end must pair up line by line.
  let open = false;
  for (const line of text.split('\n')) {
    const word = line.trim().split(/\s+/)[0];
    if (/^%(packages|pre|post|pre-install|onerror|traceback|addon|anaconda)$/.test(word)) {
      expect(open, `section opened inside another: ${line}`).toBe(false);
      open = true;
    } else if (word === '%end') {
      expect(open, 'stray %end').toBe(true);
      open = false;
    }
  }
  expect(open).toBe(false);
  return { commands: commands(doc).map((c) => c.name), sections: sections(doc).map((s) => s.name) };
}
