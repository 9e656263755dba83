import { describe, expect, it } from 'vitest';
import { vocabularyOptions } from '@ozkit/config';
import { defineCli, renderHelp } from './cli-spec.js';
import { quickAnswer, renameDeprecated, yargsOptions } from './run-cli.js';

const cli = defineCli({
  tool: 'demo',
  usage: '$0 [options]',
  description: 'A demo. '.repeat(30),
  options: { ...vocabularyOptions('boot-timeout', 'memory', 'verbose'), 'step-timeout': { kind: 'number', value: 'SECONDS', default: 30, describe: 'per step' } },
  examples: [['$0 --memory 512', 'small guest']],
});

describe('runCli pieces', () => {
  it('answers --help/--version only before --', () => {
    expect(quickAnswer(['--in', 'x', '--help'])).toBe('help');
    expect(quickAnswer(['--version'])).toBe('version');
    expect(quickAnswer(['--', '--help'])).toBeUndefined();
    expect(quickAnswer(['--helpful'])).toBeUndefined();
  });

  it('renames an old flag (also --old=value) and warns once', () => {
    const warnings: string[] = [];
    const argv = renameDeprecated(['--timeout-boot', '5', '--timeout-boot=6', '--', '--timeout-boot'], cli.options, { warn: (m: string) => void warnings.push(m) });
    expect(argv).toEqual(['--boot-timeout', '5', '--boot-timeout=6', '--', '--timeout-boot']);
    expect(warnings).toEqual(['--timeout-boot is deprecated: use --boot-timeout']);
  });

  it('hands numbers to yargs as text, so a bad one is refused in its own words', () => {
    expect(yargsOptions(cli.options)).toMatchObject({
      memory: { type: 'string', requiresArg: true },
      'step-timeout': { type: 'string', default: 30 },
      verbose: { type: 'count', alias: 'v' },
    });
  });

  it('renders help within 100 columns, with each setting flag its config key, variable, default and old name', () => {
    const help = renderHelp(cli, '1.2.3');
    for (const line of help.split('\n')) expect(line.length, line).toBeLessThanOrEqual(100);
    expect(help.startsWith('Usage: demo [options]\n')).toBe(true);
    expect(help.replace(/\s+/g, ' ')).toContain(
      '--boot-timeout SECONDS seconds to wait for SSH after boot [config [timeouts] boot; $OZKIT_TIMEOUT_BOOT; default 300; old name --timeout-boot still accepted]',
    );
    expect(help).toMatch(/Examples:\n {2}demo --memory 512\n {6}small guest/);
  });
});
