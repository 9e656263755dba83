import { describe, expect, it } from 'vitest';
import { kvmStartFailure } from './kvm-abort.js';

describe('kvmStartFailure', () => {
  it("finds the MSR abort of this machine's nested KVM in QEMU's output", () => {
    const stderr = [
      "qemu-system-x86_64: warning: host doesn't support requested feature: CPUID.80000001H:ECX.svm [bit 2]",
      "qemu-system-x86_64: ../../target/i386/kvm/kvm.c:3183: kvm_buf_set_msrs: Assertion `ret == cpu->kvm_msr_buf->nmsrs' failed.",
      '',
    ].join('\n');
    expect(kvmStartFailure(stderr)).toBe(
      "qemu-system-x86_64: ../../target/i386/kvm/kvm.c:3183: kvm_buf_set_msrs: Assertion `ret == cpu->kvm_msr_buf->nmsrs' failed.",
    );
  });

  it('finds the other ways KVM refuses a vCPU at start', () => {
    expect(kvmStartFailure('qemu-system-x86_64: error: failed to set MSR 0x10a to 0x0')).toMatch(/MSR 0x10a/);
    expect(kvmStartFailure('qemu-system-x86_64: kvm_init_vcpu: kvm_arch_init_vcpu failed (-22): Invalid argument')).toMatch(/kvm_init_vcpu/);
    expect(kvmStartFailure('Could not access KVM kernel module: Permission denied\nqemu-system-x86_64: failed to initialize kvm: Permission denied')).toMatch(
      /Could not access KVM kernel module/,
    );
  });

  it('does not take a guest problem or a QEMU usage error for a KVM failure', () => {
    expect(kvmStartFailure('')).toBeUndefined();
    expect(kvmStartFailure("qemu-system-x86_64: -drive file=/x.qcow2: Could not open '/x.qcow2': No such file or directory")).toBeUndefined();
    expect(kvmStartFailure('qemu-system-x86_64: terminating on signal 15 from pid 123')).toBeUndefined();
    expect(kvmStartFailure('KVM: entry failed, hardware error 0x80000021')).toBeUndefined();
  });
});
