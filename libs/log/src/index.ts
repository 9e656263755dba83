export { Logger, silentLogger, type LoggerOptions, type LogFormat, type LogLevel } from './logger.js';
export { ProgressBar, formatBytes, formatDuration, type ProgressOptions } from './progress.js';
export { PhaseClock } from './phase-clock.js';
