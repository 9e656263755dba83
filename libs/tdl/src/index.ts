export { readRootPassword } from './root-password.js';
