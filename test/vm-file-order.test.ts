import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { measuredSeconds, orderVmFiles } from './vm-file-order.js';

const root = join(import.meta.dirname, '..');

describe('orderVmFiles', () => {
  it('starts unknown files first, then the longest, ties in the given order', () => {
    expect(orderVmFiles(['libs/vm/src/boot-to-ssh.vm.test.ts', 'new.vm.test.ts', 'tools/image-verify/src/image-verify.vm.test.ts', 'other-new.vm.test.ts'])).toEqual(
      ['new.vm.test.ts', 'other-new.vm.test.ts', 'tools/image-verify/src/image-verify.vm.test.ts', 'libs/vm/src/boot-to-ssh.vm.test.ts'],
    );
  });

  it('starts image-verify and the test installer before longer files, since the others wait for what those two start', () => {
    expect(
      orderVmFiles([
        'test/e2e/customize.vm.test.ts',
        'test/installer/install.vm.test.ts',
        'test/e2e/pipeline.vm.test.ts',
        'tools/image-verify/src/image-verify.vm.test.ts',
      ]),
    ).toEqual([
      'tools/image-verify/src/image-verify.vm.test.ts',
      'test/installer/install.vm.test.ts',
      'test/e2e/customize.vm.test.ts',
      'test/e2e/pipeline.vm.test.ts',
    ]);
    expect(measuredSeconds['test/e2e/customize.vm.test.ts']).toBeGreaterThan(measuredSeconds['test/installer/install.vm.test.ts']);
  });

  it('names only VM test files that exist, and every one of them', () => {
    const files = execFileSync('git', ['ls-files', '*.vm.test.ts'], { cwd: root, encoding: 'utf8' }).trim().split('\n').sort();
    expect(Object.keys(measuredSeconds).sort()).toEqual(files);
  });
});
