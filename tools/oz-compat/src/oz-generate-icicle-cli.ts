import { runOzCommand } from './oz-command.js';
import { ozGenerateIcicle } from './oz-generate-icicle.js';

await runOzCommand(ozGenerateIcicle);
