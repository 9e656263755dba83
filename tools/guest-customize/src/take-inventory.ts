import type { Inventory, Template } from '@ozkit/build-document';
import { collectInventory, inventoryFormatFor } from '@ozkit/inventory';
import type { TemplateRun } from './template-run.js';

/** Step 6: every package with name, epoch, version, release, arch (before sealing, which removes caches, not packages). */
export async function takeInventory(run: TemplateRun, template: Template): Promise<Inventory> {
  const guestCommand = async (command: string) => {
    const r = await run.runner.run('inventory', command, { captureStdout: true, quiet: true, okExitCodes: [...Array(256).keys()] });
    return { stdout: r.stdout, stderr: r.tail.join('\n'), exitCode: r.exitCode };
  };
  const extraCommand = template.os.icicle?.extraCommand;
  const inventory = await collectInventory(guestCommand, { format: inventoryFormatFor(run.packageManager), ...(extraCommand ? { extraCommand } : {}) });
  run.logger.info(`inventory: ${inventory.packages.length} packages`);
  return inventory;
}
