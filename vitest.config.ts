import { defineConfig } from 'vitest/config';

const vmTests = ['**/*.vm.test.ts'];
const ignored = ['**/node_modules/**', '**/dist/**'];

export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['libs/*/src/**/*.test.ts', 'tools/*/src/**/*.test.ts', 'test/**/*.test.ts', 'bench/**/*.test.ts'],
          exclude: [...ignored, ...vmTests],
          testTimeout: 30_000,
          hookTimeout: 60_000,
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
          // QEMU under TCG on 2 shared cores: one VM test file at a time.
          fileParallelism: false,
          testTimeout: 30 * 60_000,
          hookTimeout: 30 * 60_000,
        },
      },
    ],
  },
});
