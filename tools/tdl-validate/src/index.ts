export { validateTdl, STDIN_COPY_NAME, type ValidateTdlInput, type ValidateTdlResult } from './validate-tdl.js';
