import { runOzCommand } from './oz-command.js';
import { ozCustomize } from './oz-customize.js';

await runOzCommand(ozCustomize);
