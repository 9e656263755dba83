/**
 * What QEMU prints when KVM cannot run the guest's virtual CPU at all: on some hosts (nested
 * virtualization) `/dev/kvm` opens but QEMU aborts as the vCPU starts, e.g.
 * `kvm.c:3183: kvm_buf_set_msrs: Assertion 'ret == cpu->kvm_msr_buf->nmsrs' failed.` (an MSR the
 * host's KVM refuses). Nothing of the guest has run then, so TCG can take over.
 */
const KVM_START_FAILURES: RegExp[] = [
  /kvm_buf_set_msrs: Assertion/,
  /error: failed to set MSR 0x[0-9a-f]+/i,
  /kvm_init_vcpu:? failed/i,
  /failed to initialize kvm/i,
  /Could not access KVM kernel module/i,
  /KVM_SET_CPUID2? failed/i,
  /kvm_arch_init_vcpu.*failed/i,
];

/** The line of QEMU's output that says KVM could not start the guest's vCPU, or undefined. */
export function kvmStartFailure(qemuOutput: string): string | undefined {
  for (const line of qemuOutput.split('\n')) {
    const trimmed = line.trim();
    if (trimmed && KVM_START_FAILURES.some((pattern) => pattern.test(trimmed))) return trimmed;
  }
  return undefined;
}
