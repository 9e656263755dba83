import { libvirtBackend } from './libvirt/libvirt-backend.js';
import { qemuBackend } from './qemu-backend.js';
import type { VmBackend } from './vm-backend.js';

/** The settings that choose a backend (a subset of @ozkit/config's Settings). */
export interface BackendSettings {
  /** A libvirt URI (`--connect`, `OZKIT_CONNECT`, `[libvirt] uri`); unset: QEMU run directly. */
  connect?: string | undefined;
  virtType?: 'kvm' | 'qemu' | undefined;
  pool?: string | undefined;
  bridgeName?: string | undefined;
}

/** Who is asking: libvirt domains are named `ozkit-<build>-<stage>-…` after it. */
export interface BackendUser {
  build: string;
  stage: string;
}

/**
 * The backend a run uses: libvirt when a URI is set, else QEMU run directly (no daemon, no
 * root). No tool has to know which one runs its guests.
 */
export function selectBackend(settings: BackendSettings = {}, user?: BackendUser): VmBackend {
  if (!settings.connect) return qemuBackend;
  return libvirtBackend({
    uri: settings.connect,
    ...(settings.virtType ? { virtType: settings.virtType } : {}),
    ...(settings.pool ? { pool: settings.pool } : {}),
    ...(settings.bridgeName ? { bridge: settings.bridgeName } : {}),
    ...(user ? { build: user.build, stage: user.stage } : {}),
  });
}

/** QEMU run directly: for callers without settings (tests, probes). */
export function defaultBackend(): VmBackend {
  return qemuBackend;
}
