export { verbosityOf, logSettingsFromArgv, type CommonArgs } from './options.js';
export { defineCli, renderHelp, optionTable, vocabularyTable, withGeneratedBlock, flagSynopsis, type CliSpec } from './cli-spec.js';
export { runCli, yargsOptions, quickAnswer, renameDeprecated, type RunCliOptions } from './run-cli.js';
export { runCommand, reportError, type CommandContext, type RunCommandOptions } from './run-command.js';
export { runStage, defineStage, producedKeys, failedDocumentPath, type RunStageOptions, type StageDeclaration, type StageResult } from './run-stage.js';
export { packageVersion } from './version.js';
export { applyCliConventions, type ConventionalParser } from './parser-conventions.js';
