import { OzkitError } from '@ozkit/errors';
import type { Inventory } from '@ozkit/build-document';
import { INVENTORY_FORMAT_PROBE, inventoryCommand, type InventoryFormat } from './query-commands.js';
import { parseExtraOutput, parseInventory, type ParsedPackage } from './parse-inventory.js';

/** What running one command on the guest gave (any transport: ssh2, a local shell, …). */
export interface CommandResult {
  stdout: string;
  stderr: string;
  /** null when the command was ended by a signal. */
  exitCode: number | null;
}

/** Runs a shell command line on the guest. */
export type RunGuestCommand = (command: string) => Promise<CommandResult>;

export interface CollectInventoryOptions {
  /** rpm or deb; probed on the guest when absent. */
  format?: InventoryFormat;
  /** The TDL's os/icicle/extra_command, run after the package query. */
  extraCommand?: string;
  /** Clock for collectedAt (tests). */
  now?: () => Date;
}

export interface CollectedInventory extends Inventory {
  packages: ParsedPackage[];
}

function tail(text: string, count = 5): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}

function failed(what: string, command: string, result: CommandResult): OzkitError {
  const status = result.exitCode === null ? 'was killed by a signal' : `exited with status ${result.exitCode}`;
  const output = tail(result.stderr) || tail(result.stdout);
  return new OzkitError('COMMAND_FAILED', `${what} (${command}) ${status}${output ? `: ${output}` : ''}`, {
    details: { command, exitCode: result.exitCode },
    hint: 'run the command on the guest by hand to see why it fails',
  });
}

/** Asks the guest whether it keeps an rpm or a dpkg package database. */
export async function probeInventoryFormat(run: RunGuestCommand): Promise<InventoryFormat> {
  const result = await run(INVENTORY_FORMAT_PROBE);
  const answer = result.stdout.trim();
  if (answer === 'rpm' || answer === 'deb') return answer;
  throw new OzkitError('SERVICE_UNAVAILABLE', 'the guest has neither dpkg-query nor rpm: cannot list its packages', {
    hint: 'ozkit inventories rpm- and dpkg-based systems only',
  });
}

/**
 * Lists every installed package (and the extra_command output, one line per package) over
 * whatever transport `run` uses. The package order is the package manager's own, which is
 * what Oz's ICICLE keeps and what extra_command lines are paired with.
 */
export async function collectInventory(run: RunGuestCommand, options: CollectInventoryOptions = {}): Promise<CollectedInventory> {
  const format = options.format ?? (await probeInventoryFormat(run));
  const command = inventoryCommand(format);
  const result = await run(command);
  if (result.exitCode !== 0) throw failed('the package query', command, result);
  const packages = parseInventory(format, result.stdout);
  const inventory: CollectedInventory = {
    format,
    packages,
    collectedAt: (options.now ?? (() => new Date()))().toISOString(),
  };
  if (options.extraCommand !== undefined && options.extraCommand.trim() !== '') {
    const extra = await run(options.extraCommand);
    if (extra.exitCode !== 0) throw failed('os/icicle/extra_command', options.extraCommand, extra);
    inventory.extra = parseExtraOutput(extra.stdout, packages.length);
  }
  return inventory;
}
