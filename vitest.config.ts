import { defineConfig } from 'vitest/config';
import VmFileSequencer from './test/vm-file-order.js';

const vmTests = ['**/*.vm.test.ts'];
const ignored = ['**/node_modules/**', '**/dist/**'];

export default defineConfig({
  test: {
    // Longest VM files first: a fresh clone has no durations of vitest's own (test/vm-file-order.ts).
    sequence: { sequencer: VmFileSequencer },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['libs/*/src/**/*.test.ts', 'tools/*/src/**/*.test.ts', 'test/**/*.test.ts', 'bench/**/*.test.ts'],
          exclude: [...ignored, ...vmTests],
          testTimeout: 30_000,
          hookTimeout: 60_000,
          // The unit tests run first and alone, so they never slow a guest into a timeout.
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'vm',
          include: vmTests,
          // VM tests need all the system packages: one message naming the missing ones, up front. Unit
          // tests run without them; a unit test that runs a program says which (test/support/missing-program.ts).
          globalSetup: ['test/global-setup.ts'],
          exclude: ignored,
          // QEMU under TCG on 2 shared cores: two VM test files at a time. Most of a VM test's time is
          // a guest waiting (on a boot, a stall, a timeout), so two overlap well; the shared installer
          // and installed images are built once under their own locks. Timeouts are set for this load.
          sequence: { groupOrder: 1 },
          maxWorkers: 2,
          testTimeout: 30 * 60_000,
          hookTimeout: 30 * 60_000,
        },
      },
    ],
  },
});
