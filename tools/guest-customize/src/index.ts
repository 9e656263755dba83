export { customizeGuest, type CustomizeOptions, type CustomizeSettings } from './customize-guest.js';
export { SEAL_OPERATIONS, SEAL_OPERATION_NAMES, selectSealOperations, type SealOperation, type SealContext } from './seal-operations.js';
export { detectGuestOs, GUEST_PROBE_COMMAND, type GuestOs } from './guest-os.js';
export { planRepositories, aptSourceLine, refreshCommand, removalCommand, type RepositoryPlan } from './repository-plan.js';
export { planPackageTransaction, type PackageTransaction } from './package-transaction.js';
export { resolveContent } from './template-content.js';
export { guestCustomizeStage } from './stage-declaration.js';
