import { qemuBackend } from './qemu-backend.js';
import type { VmBackend } from './vm-backend.js';

/**
 * The backend this run uses. QEMU run directly is the only one today; a libvirt backend
 * (issue 11) will be chosen here from a URI setting, so no tool has to know which one runs.
 */
export function defaultBackend(): VmBackend {
  return qemuBackend;
}
