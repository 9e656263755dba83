import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { injectIntoInitrd } from '@ozkit/initrd';
import { renderAnswer } from './render-answer.js';
import { CUSTOMIZE_BODY, documentFor, Scratch } from './ks-render.test-support.js';

/**
 * The real Debian 12 installer (package debian-installer-12-netboot-amd64) reads ks-render's
 * default preseed from its initrd with ks-render's kernel arguments: proof that d-i parses the
 * file and runs its early_command, unattended, before any question.
 */
const DI = '/usr/lib/debian-installer/images/12/amd64/text/debian-installer/amd64';

/** The serial console as text: terminal escapes and newt's line-drawing letters removed. */
function plainText(raw: string): string {
  return raw
    // eslint-disable-next-line no-control-regex
    .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '\n')
    // eslint-disable-next-line no-control-regex
    .replace(/\x1b[()][0-9A-Za-z]/g, '')
    .replace(/[xqmjlkutwv]{3,}/g, '');
}

const scratch = new Scratch();
let qemu: ChildProcess | undefined;
afterEach(async () => {
  if (qemu && qemu.exitCode === null) {
    const exited = new Promise((resolve) => qemu!.once('exit', resolve));
    qemu.kill('SIGKILL');
    await exited;
  }
  qemu = undefined;
  scratch.cleanup();
});

describe('Debian 12 installer with the default preseed', () => {
  it('loads the preseed from the initrd and runs its early_command, then reaches the archive without a question', async () => {
    const dir = scratch.dir();
    const out = await renderAnswer(documentFor(dir, { os: 'Debian', version: '12', rootpw: 'pw', body: CUSTOMIZE_BODY }));
    const answer = out.answer!;
    const initrd = join(dir, 'initrd.gz');
    await injectIntoInitrd({
      source: join(DI, 'initrd.gz'),
      dest: initrd,
      entries: [{ name: answer.placement.inInitrd.replace(/^\//, ''), type: 'file', mode: 0o644, data: readFileSync(answer.path) }],
    });
    const locator = answer.locator as { initrd: string[] };
    const append = [...answer.kernelArgs, ...locator.initrd].join(' ');
    let console = '';
    qemu = spawn(
      'qemu-system-x86_64',
      ['-machine', 'pc', '-accel', 'tcg', '-m', '1024', '-smp', '1', '-nographic', '-no-reboot', '-kernel', join(DI, 'linux'), '-initrd', initrd, '-append', append,
        '-netdev', 'user,id=n0', '-device', 'virtio-net-pci,netdev=n0', '-serial', 'stdio', '-monitor', 'none'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    qemu.stdout!.on('data', (chunk: Buffer) => (console += chunk.toString('latin1')));
    qemu.stderr!.on('data', (chunk: Buffer) => (console += chunk.toString('latin1')));
    const loaded = String(answer.loadedMarker);
    const deadline = Date.now() + 15 * 60_000;
    while (!console.includes(loaded) && Date.now() < deadline && qemu.exitCode === null) await new Promise((r) => setTimeout(r, 1000));
    expect(console, console.slice(-3000)).toContain(loaded);
    expect(console).not.toMatch(/Failed to process the preconfiguration file|Failed to retrieve the preconfiguration file/);

    // Then d-i answers locale, keyboard, network, host name and mirror from the preseed alone and
    // reaches the archive (where this machine's mirror stops it: installer components answer 404).
    const screen = () => plainText(console);
    while (!/Downloading Release files|Loading additional components/.test(screen()) && Date.now() < deadline && qemu.exitCode === null)
      await new Promise((r) => setTimeout(r, 2000));
    const text = screen();
    const reached = text.search(/Downloading Release files|Loading additional components/);
    expect(reached, text.slice(-3000)).toBeGreaterThan(0);
    expect(text).toContain('Configuring the network with DHCP');
    // A question would have shown a dialog with a <Go Back> button before that point.
    expect(text.slice(0, reached)).not.toContain('<Go Back>');
  });
});
