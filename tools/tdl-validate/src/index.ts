export { validateTdl, STDIN_COPY_NAME, type ValidateTdlInput, type ValidateTdlResult } from './validate-tdl.js';
export { tdlValidateStage, type TdlValidateStageOptions } from './stage-declaration.js';
