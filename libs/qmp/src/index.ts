export { QmpClient, type QmpEvent, type QmpGreeting, type QmpConnectOptions } from './qmp-client.js';
export type { BlockStats, BlockDeviceStats, QmpStatus } from './qmp-types.js';
