export { commonOptions, documentOptions, verbosityOf, type CommonArgs, type DocumentArgs } from './options.js';
export { runCommand, reportError, type CommandContext, type RunCommandOptions } from './run-command.js';
export { runStage, type RunStageOptions } from './run-stage.js';
export { packageVersion } from './version.js';
