import { spawnSync } from 'node:child_process';

/**
 * Asks the host's POSIX shell whether a command string parses (`sh -n`): d-i runs
 * early_command / late_command with `sh -c`, so a quote left open there fails the whole install.
 * Returns the shell's complaint, or undefined when it parses (or no shell is available).
 */
export function shellSyntaxError(command: string): string | undefined {
  const result = spawnSync('/bin/sh', ['-n'], { input: command + '\n', encoding: 'utf8', timeout: 10_000 });
  if (result.error) return undefined;
  if (result.status === 0) return undefined;
  const message = (result.stderr ?? '').trim().split('\n').pop() ?? 'syntax error';
  return message.replace(/^\/bin\/sh:\s*/, '').replace(/^\d+:\s*/, '');
}
