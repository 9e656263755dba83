import { runOzCommand } from './oz-command.js';
import { ozCleanupCache } from './oz-cleanup-cache.js';

await runOzCommand(ozCleanupCache);
