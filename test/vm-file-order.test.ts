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

  it('names only VM test files that exist, and every one of them', () => {
    const files = execFileSync('git', ['ls-files', '*.vm.test.ts'], { cwd: root, encoding: 'utf8' }).trim().split('\n').sort();
    expect(Object.keys(measuredSeconds).sort()).toEqual(files);
  });
});
