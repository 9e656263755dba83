export { commonOptions, documentOptions, hypervisorOptions, hypervisorFlags, verbosityOf, logSettingsFromArgv, type CommonArgs, type DocumentArgs } from './options.js';
export { runCommand, reportError, type CommandContext, type RunCommandOptions } from './run-command.js';
export { runStage, defineStage, producedKeys, failedDocumentPath, type RunStageOptions, type StageDeclaration, type StageResult } from './run-stage.js';
export { packageVersion } from './version.js';
export { applyCliConventions, type ConventionalParser } from './parser-conventions.js';
