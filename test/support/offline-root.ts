import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Reads files from an image's root filesystem without booting it: a raw copy in `scratch`
 * (`offline.raw`, and `offline.part` for a partitioned disk), read with debugfs.
 */
export function offlineRoot(qcow2: string, scratch: string): { cat(path: string): string; ls(dir: string): string } {
  const raw = join(scratch, 'offline.raw');
  execFileSync('qemu-img', ['convert', '-f', 'qcow2', '-O', 'raw', qcow2, raw]);
  const fd = Buffer.alloc(2048);
  const handle = openSync(raw, 'r');
  readSync(handle, fd, 0, 2048, 0);
  closeSync(handle);
  let fs = raw;
  if (fd.readUInt16LE(1024 + 56) !== 0xef53) {
    // Partitioned (an installed disk): the first partition, from the MBR or (type 0xEE) the GPT.
    let startLba = fd.readUInt32LE(446 + 8);
    if (fd[446 + 4] === 0xee) {
      const gpt = Buffer.alloc(512);
      const h = openSync(raw, 'r');
      readSync(h, gpt, 0, 512, 2 * 512);
      closeSync(h);
      startLba = Number(gpt.readBigUInt64LE(32));
    }
    fs = join(scratch, 'offline.part');
    execFileSync('dd', [`if=${raw}`, `of=${fs}`, 'bs=512', `skip=${startLba}`, 'conv=sparse', 'status=none']);
  }
  const debugfs = (request: string) => execFileSync('debugfs', ['-R', request, fs], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return { cat: (p) => debugfs(`cat ${p}`), ls: (d) => debugfs(`ls -l ${d}`) };
}
