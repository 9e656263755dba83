import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { parseKickstart, commands, sections } from './kickstart/kickstart-syntax.js';
import { needsPrograms } from '../../../test/support/missing-program.js';

needsPrograms('debconf-set-selections', 'python3', 'flock');

/**
 * Debian's own preseed parser: exit 0 and nothing on stderr (it only warns on unknown types).
 * Run under one lock, and retried: two at once fail silently (exit 1) on debconf's database lock.
 */
export function debconfCheck(path: string): { ok: boolean; stderr: string } {
  let r = spawnSync('flock', [join(tmpdir(), 'ozkit-test-debconf.lock'), 'debconf-set-selections', '-c', path], { encoding: 'utf8' });
  // Exit 1 with nothing said is debconf's database lock held by a process outside this suite: try again.
  for (let attempt = 0; attempt < 20 && r.status === 1 && r.stderr.trim() === ''; attempt++) {
    spawnSync('sleep', ['0.5']);
    r = spawnSync('flock', [join(tmpdir(), 'ozkit-test-debconf.lock'), 'debconf-set-selections', '-c', path], { encoding: 'utf8' });
  }
  if (r.error) throw r.error;
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

/** An AutoYaST profile read by Python's XML parser: the elements ozkit relies on, namespace-aware. */
export function autoyastFacts(text: string): Record<string, unknown> {
  const script = String.raw`
import sys, json, xml.etree.ElementTree as ET
ns = {"y": "http://www.suse.com/1.0/yast2ns"}
root = ET.fromstring(sys.stdin.read())
def t(path):
    e = root.find(path, ns)
    return None if e is None else (e.text or "")
print(json.dumps({
  "root": root.tag,
  "confirm": t("y:general/y:mode/y:confirm"),
  "final_halt": t("y:general/y:mode/y:final_halt"),
  "final_reboot": t("y:general/y:mode/y:final_reboot"),
  "root_user": [u.findtext("y:username", None, ns) for u in root.findall("y:users/y:user", ns)],
  "password": t("y:users/y:user/y:user_password"),
  "encrypted": t("y:users/y:user/y:encrypted"),
  "keys": [e.text for e in root.findall("y:users/y:user/y:authorized_keys/y:listentry", ns)],
  "sshd": [e.text for e in root.findall("y:services-manager/y:services/y:enable/y:service", ns)],
  "append": t("y:bootloader/y:global/y:append"),
  "pre": [e.findtext("y:source", None, ns) for e in root.findall("y:scripts/y:pre-scripts/y:script", ns)],
  "chroot": [e.findtext("y:source", None, ns) for e in root.findall("y:scripts/y:chroot-scripts/y:script", ns)],
}))
`;
  const r = spawnSync('python3', ['-c', script], { input: text, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`not well-formed XML: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}
