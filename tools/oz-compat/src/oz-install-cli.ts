import { runOzCommand } from './oz-command.js';
import { ozInstall } from './oz-install.js';

await runOzCommand(ozInstall);
