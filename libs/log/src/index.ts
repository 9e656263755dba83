export {
  Logger,
  escapeControl,
  silentLogger,
  statusIntervalFromEnv,
  DEFAULT_STATUS_INTERVAL_MS,
  type LoggerOptions,
  type LogFormat,
  type LogLevel,
} from './logger.js';
export { ProgressBar, formatBytes, formatDuration, formatElapsed, type ProgressOptions } from './progress.js';
export { PhaseClock } from './phase-clock.js';
export { redactUrls, hasUrlCredentials } from './url-redaction.js';
