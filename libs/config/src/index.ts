export { parseIni, type IniDocument, type IniValue } from './ini.js';
export {
  loadConfig,
  defaultConfigPath,
  defaultCacheDir,
  envVarFor,
  parseBoolean,
  parseSeconds,
  type Settings,
  type SettingName,
  type SettingOrigin,
  type LoadedConfig,
  type LoadConfigOptions,
  type ImageType,
  type OutputFormat,
  type Accel,
  type DiskBus,
  type LintLevel,
} from './settings.js';
export { resolveWorkdir, cacheArea, ensureDir, safeName } from './dirs.js';
