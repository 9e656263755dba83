/**
 * The order the vm project's files start in. Two run at a time, and CI runs on a fresh clone, where
 * vitest has no durations of its own and starts the largest files first — which in one measured run
 * left the longest files (a full Oz install, the test installer's installs) for the end, one worker
 * busy for ten minutes while the other sat idle. Longest first (by the seconds measured below, a cold
 * run on the 2-core TCG machine, 2026-12-03) keeps both workers busy until the end. Two files start
 * before all others (START_FIRST): image-verify installs the shared installed image (and builds the
 * cloud image on it), which most files wait for, and the test installer's own tests need only the
 * installer ISO, so they work while that install runs; any other file in their place would sit
 * waiting for it. A file not in the table (a new one) starts first, as vitest starts unknown files
 * first; the seconds only need to be roughly right. The test installer's file: the cold figure
 * less its two cases that now stop at partitioning (342 s less, measured 2026-12-03).
 */
import { BaseSequencer, type TestSpecification } from 'vitest/node';

export const measuredSeconds: Record<string, number> = {
  'tools/image-verify/src/image-verify.vm.test.ts': 1242,
  'test/e2e/customize.vm.test.ts': 784,
  'test/e2e/debian-installer.vm.test.ts': 761,
  'test/e2e/oz-install.vm.test.ts': 660,
  'test/installer/install.vm.test.ts': 708,
  'test/e2e/install.vm.test.ts': 547,
  'test/e2e/makefile.vm.test.ts': 390,
  'tools/icicle-gen/src/overlay-boot.vm.test.ts': 373,
  'test/e2e/cloud-formats.vm.test.ts': 325,
  'test/e2e/package-cache.vm.test.ts': 295,
  'test/e2e/pipeline.vm.test.ts': 257,
  'test/e2e/libvirt.vm.test.ts': 178,
  'tools/guest-install/src/guest-install.vm.test.ts': 150,
  'libs/vm/src/boot-to-ssh.vm.test.ts': 148,
  'tools/iso-fetch/src/boot-media.vm.test.ts': 136,
  'libs/qemu/src/qemu-vm.vm.test.ts': 75,
  'libs/vm/src/libvirt/libvirt-backend.vm.test.ts': 68,
  'libs/netpbm/src/screendump.vm.test.ts': 3,
  'tools/guest-install/src/cli.vm.test.ts': 34,
};

/** What most files wait for is started by these two (see above), in this order. */
export const START_FIRST = ['tools/image-verify/src/image-verify.vm.test.ts', 'test/installer/install.vm.test.ts'];

/** Unknown files first, then START_FIRST, then the longest first; ties keep the given order. */
export function orderVmFiles(files: readonly string[]): string[] {
  const rank = (f: string) => (measuredSeconds[f] === undefined ? 0 : START_FIRST.includes(f) ? 1 + START_FIRST.indexOf(f) : 1 + START_FIRST.length);
  const seconds = (f: string) => measuredSeconds[f] ?? Number.POSITIVE_INFINITY;
  return files
    .map((file, index) => ({ file, index }))
    .sort((a, b) => rank(a.file) - rank(b.file) || seconds(b.file) - seconds(a.file) || a.index - b.index)
    .map(({ file }) => file);
}

export default class VmFileSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const vm = sorted.filter((s) => s.project.name === 'vm');
    if (vm.length === 0) return sorted;
    const root = this.ctx.config.root;
    const byPath = new Map(vm.map((s) => [relativeTo(root, s.moduleId), s]));
    const ordered = orderVmFiles([...byPath.keys()]).map((path) => byPath.get(path)!);
    return [...sorted.filter((s) => s.project.name !== 'vm'), ...ordered];
  }
}

function relativeTo(root: string, path: string): string {
  const prefix = root.endsWith('/') ? root : `${root}/`;
  return path.startsWith(prefix) ? path.slice(prefix.length) : path;
}
