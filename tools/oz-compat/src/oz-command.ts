import { packageVersion, runCommand, type CommandContext } from '@ozkit/command';
import { ozGetopt, usageText, verbosityFromDebugLevel, type OzCommandLine, type OzOption } from './oz-getopt.js';
import { StageFailed } from './stage-cli.js';

export const version = packageVersion(new URL('../package.json', import.meta.url));

export interface OzCommand {
  tool: string;
  synopsis: string;
  options: readonly OzOption[];
  footer?: string;
  run(line: OzCommandLine, ctx: CommandContext, verbosity: number): Promise<number | void>;
}

/**
 * One Oz command: Oz's option syntax and -d levels, `-h` prints Oz-style usage (exit 0), usage
 * errors exit 1 as in Oz; everything else is ozkit's (one-line errors, sysexits codes). A stage
 * that failed has reported itself on stderr: its exit code is passed on, nothing added.
 */
export async function runOzCommand(command: OzCommand, argv = process.argv.slice(2)): Promise<void> {
  let line: OzCommandLine | undefined;
  let verbosity = -1;
  let usageError: unknown;
  try {
    line = ozGetopt(command.tool, argv, command.options);
    verbosity = verbosityFromDebugLevel(command.tool, line.options.get('debug'));
  } catch (error) {
    usageError = error;
  }
  await runCommand({ tool: command.tool, version, verbosity: usageError ? 0 : verbosity }, async (ctx) => {
    if (usageError) throw usageError;
    if (line!.options.has('help')) {
      process.stdout.write(usageText(command.synopsis, command.options, command.footer));
      return;
    }
    try {
      return await command.run(line!, ctx, verbosity);
    } catch (error) {
      if (error instanceof StageFailed) {
        ctx.logger.error(`stopped: ${error.tool} failed (exit ${error.exitCode}); the build's document: ${error.document}`);
        return error.exitCode;
      }
      throw error;
    }
  });
}
