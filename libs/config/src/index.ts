export { parseIni, type IniDocument, type IniValue } from './ini.js';
export {
  loadConfig,
  defaultConfigPath,
  defaultCacheDir,
  settingSources,
  parseBoolean,
  parseSeconds,
  type Settings,
  type SettingName,
  type SettingOrigin,
  type LoadedConfig,
  type LoadConfigOptions,
  type ImageType,
  type Accel,
  type DiskBus,
  type LintLevel,
} from './settings.js';
export { resolveWorkdir, cacheArea, ensureDir, safeName } from './dirs.js';
export {
  vocabulary,
  vocabularyOptions,
  commonOptionNames,
  documentOptionNames,
  hypervisorOptionNames,
  flagOfSetting,
  settingFlags,
  type OptionDescriptor,
  type OptionKind,
  type OptionSet,
  type ArgsOf,
  type VocabularyName,
} from './vocabulary.js';
