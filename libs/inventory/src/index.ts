export {
  RPM_INVENTORY_COMMAND,
  DEB_INVENTORY_COMMAND,
  INVENTORY_FORMAT_PROBE,
  inventoryCommand,
  inventoryFormatFor,
  type InventoryFormat,
  type PackageManager,
} from './query-commands.js';
export {
  parseRpmInventory,
  parseDebInventory,
  parseInventory,
  parseExtraOutput,
  splitDebianVersion,
  type ParsedPackage,
  type ParseSource,
} from './parse-inventory.js';
export { fullVersion, icicleName, isInstalled } from './package-identity.js';
export { parseOsRelease, OS_RELEASE_COMMAND, type OsRelease } from './os-release.js';
export {
  collectInventory,
  probeInventoryFormat,
  type CollectInventoryOptions,
  type CollectedInventory,
  type CommandResult,
  type RunGuestCommand,
} from './collect-inventory.js';
