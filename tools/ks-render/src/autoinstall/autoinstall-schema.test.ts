import { describe, expect, it } from 'vitest';
import { lintAutoinstall } from './render-autoinstall.js';
import { autoinstallSchemaSource } from './autoinstall-schema.js';

const lint = (text: string, lintLevel?: 'error' | 'warn' | 'off') =>
  lintAutoinstall(text, 'u.yaml', { customizationFollows: false, requirePoweroff: false, ...(lintLevel ? { lint: lintLevel } : {}) });
const HEAD = '#cloud-config\nautoinstall:\n  version: 1\n  identity: {hostname: a, username: b, password: c}\n  ssh: {install-server: true}\n';

describe("autoinstall: subiquity's JSON schema, errors located in the YAML", () => {
  it('carries the schema with the subiquity commit and date it came from', () => {
    expect(autoinstallSchemaSource()).toMatchObject({
      project: 'subiquity',
      commit: expect.stringMatching(/^[0-9a-f]{40}$/),
      date: expect.stringMatching(/^\d{4}-\d\d-\d\d$/),
    });
  });

  it('a value of the wrong type: line and column of the value', () => {
    const r = lint(`${HEAD}  shutdown: later\n  packages: nginx\n`);
    const shutdown = r.errors.find((e) => e.message.startsWith('autoinstall.shutdown'));
    expect(shutdown).toMatchObject({ line: 6, column: 13 });
    expect(shutdown!.message).toMatch(/must be equal to one of the allowed values \("reboot", "poweroff"\)/);
    expect(shutdown!.message).toMatch(/subiquity's autoinstall schema \([0-9a-f]{12}, \d{4}-\d\d-\d\d\)/);
    expect(r.errors.find((e) => e.message.startsWith('autoinstall.packages'))).toMatchObject({
      line: 7,
      column: 13,
      message: expect.stringMatching(/must be array/),
    });
  });

  it('a missing required key and an unknown key inside a section', () => {
    const r = lint('#cloud-config\nautoinstall:\n  version: 1\n  identity:\n    hostname: a\n    username: b\n    realnme: B\n  ssh:\n    install-server: true\n');
    expect(r.errors.find((e) => /"password" is required/.test(e.message))).toMatchObject({ line: 5, column: 5 });
    expect(r.errors.find((e) => /autoinstall\.identity: unknown key "realnme"/.test(e.message))).toMatchObject({ line: 7, column: 5 });
  });

  it('an unknown top-level key (subiquity ignores it) is a warning naming the likely one', () => {
    const r = lint(`${HEAD}  late-comands:\n    - true\n`);
    expect(r.errors).toEqual([]);
    expect(r.warnings.find((w) => /late-comands/.test(w.message))).toMatchObject({ line: 6, column: 3, hint: 'did you mean "late-commands"?' });
  });

  it('a bare autoinstall file (no autoinstall: key) is located the same way', () => {
    const r = lint('version: 1\nidentity: {hostname: a, username: b, password: c}\nshutdown: 5\n');
    expect(r.errors.find((e) => e.message.startsWith('autoinstall.shutdown'))).toMatchObject({ line: 3, column: 11 });
  });

  it('--lint warn reports, --lint off skips', () => {
    expect(lint(`${HEAD}  shutdown: later\n`, 'warn').errors).toEqual([]);
    expect(lint(`${HEAD}  shutdown: later\n`, 'warn').warnings.some((w) => /shutdown/.test(w.message))).toBe(true);
    expect(lint(`${HEAD}  shutdown: later\n`, 'off').warnings.some((w) => /allowed values/.test(w.message))).toBe(false);
  });
});
