import { describe, expect, it } from 'vitest';
import { ozGetopt, verbosityFromDebugLevel, verbosityFlags } from './oz-getopt.js';
import { ozInstallOptions } from './oz-install.js';

const parse = (...argv: string[]) => ozGetopt('oz-install', argv, ozInstallOptions);

describe('ozGetopt (Python getopt.gnu_getopt, as Oz parses)', () => {
  it('reads clustered flags, attached and separate values, options after the TDL', () => {
    const line = parse('-pu', '-d3', 'x.tdl', '-a', 'x.ks', '--timeout=600', '--disk', '/i/x.dsk');
    expect(Object.fromEntries(line.options)).toEqual({ cleanup: true, customize: true, debug: '3', auto: 'x.ks', timeout: '600', disk: '/i/x.dsk' });
    expect(line.positionals).toEqual(['x.tdl']);
  });

  it('takes a long option by a unique prefix, and `--` ends the options', () => {
    const line = parse('--gen', '--', '-weird.tdl');
    expect(line.options.get('generate-icicle')).toBe(true);
    expect(line.positionals).toEqual(['-weird.tdl']);
  });

  it('refuses unknown options, missing values, values on flags, ambiguous prefixes — exit 1 as Oz', () => {
    for (const [argv, message] of [
      [['-z'], 'option -z not recognized'],
      [['-a'], 'option -a requires argument'],
      [['--auto'], 'option --auto requires argument'],
      [['--cleanup=yes'], 'option --cleanup must not have an argument'],
      [['--c'], 'option --c not a unique prefix'],
      [['--nope'], 'option --nope not recognized'],
    ] as const)
      expect(() => parse(...argv)).toThrow(expect.objectContaining({ message, exitCode: 1 }));
  });

  it("maps -d levels to ozkit verbosity and the stages' flags", () => {
    expect([undefined, '0', '1', '2', '3', '4', '9'].map((d) => verbosityFromDebugLevel('oz-install', d))).toEqual([-1, -1, 0, 0, 1, 2, 2]);
    expect(() => verbosityFromDebugLevel('oz-install', 'loud')).toThrow(expect.objectContaining({ exitCode: 1 }));
    expect([-1, 0, 1, 2].map(verbosityFlags)).toEqual([['-q'], [], ['-v'], ['-vv']]);
  });
});
