/**
 * The order the vm project's files start in. Two run at a time, and CI runs on a fresh clone, where
 * vitest has no durations of its own and starts the largest files first — which in one measured run
 * left the longest files (a full Oz install, the test installer's installs) for the end, one worker
 * busy for ten minutes while the other sat idle. Longest first (by the seconds measured below, a cold
 * run on the 2-core TCG machine, 2026-12-03) keeps both workers busy until the end. The two longest
 * also start what everything else waits for: image-verify the shared installed image (and the cloud
 * image on it), the test installer's own tests the installer ISO. A file not in the table (a new one)
 * starts first, as vitest starts unknown files first; the seconds only need to be roughly right.
 */
import { BaseSequencer, type TestSpecification } from 'vitest/node';

export const measuredSeconds: Record<string, number> = {
  'tools/image-verify/src/image-verify.vm.test.ts': 1242,
  'test/installer/install.vm.test.ts': 1050,
  'test/e2e/customize.vm.test.ts': 784,
  'test/e2e/debian-installer.vm.test.ts': 761,
  'test/e2e/oz-install.vm.test.ts': 660,
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

/** Longest first; unknown files before all of them; ties keep the given order. */
export function orderVmFiles(files: readonly string[]): string[] {
  const seconds = (f: string) => measuredSeconds[f] ?? Number.POSITIVE_INFINITY;
  return files
    .map((file, index) => ({ file, index }))
    .sort((a, b) => seconds(b.file) - seconds(a.file) || a.index - b.index)
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
