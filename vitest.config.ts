import { defineConfig } from 'vitest/config';

const vmTests = ['**/*.vm.test.ts'];
const ignored = ['**/node_modules/**', '**/dist/**'];

export default defineConfig({
  test: {
    globalSetup: ['test/global-setup.ts'],
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
