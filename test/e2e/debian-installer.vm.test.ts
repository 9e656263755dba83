/**
 * The real Debian 12 installer (package debian-installer-12-netboot-amd64) run by guest-install
 * with ks-render's preseed injected into its initrd by iso-fetch. The netboot tree is served by a
 * loopback HTTP server as a url install. d-i must consume the preseed (its early_command prints
 * the loaded marker), answer everything up to the network and the archive without a question,
 * and then — because this machine's mirror has no installer components — stall; guest-install
 * must report that stall as an inactivity (or total timeout) failure with a PNG screenshot and
 * the console tail, and leave no QEMU and no disk behind. Measured: d-i reaches the archive
 * after ~3 min under TCG on a quiet host (much longer on a loaded one: its kernel boots with
 * `quiet`, and d-i reads its preseed ~3 min in with no disk or network I/O before that). The
 * inactivity limit is 600 s because this file shares the machine with another VM test file (the
 * vm project runs two at once): the silent boot can then take twice as long, and the stall itself
 * costs the suite nothing while the other file runs. This is also ks-render's proof that d-i parses
 * its default preseed and runs the early_command before any question.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createReadStream, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { runStageCli } from '../support/installed-image.js';

const TREE = '/usr/lib/debian-installer/images/12/amd64/text';
const work = mkdtempSync(join(tmpdir(), 'ozkit-d-i-e2e-'));
let server: Server;
let port = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    const file = join(TREE, path);
    if (!file.startsWith(TREE) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-length': statSync(file).size });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(work, { recursive: true, force: true });
});

/** The serial console as text: terminal escapes turned into breaks, newt's line-drawing letters dropped. */
function plainText(raw: string): string {
  return raw
    .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '\n')
    .replace(/\x1b[()][0-9A-Za-z]/g, '')
    .replace(/[xqmjlkutwv]{3,}/g, '');
}

function qemuProcessesFor(dir: string): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
        return cmd.includes('qemu-system') && cmd.includes(dir);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('guest-install on the real Debian installer', () => {
  test(
    'd-i consumes the preseed unattended up to the archive, and the stall is reported with screenshot and console tail',
    async () => {
      const tdl = join(work, 'd-i.tdl');
      writeFileSync(
        tdl,
        `<template><name>d-i-e2e</name><os><name>Debian</name><version>12</version><arch>x86_64</arch>` +
          `<rootpw>ozkit-test-root</rootpw><install type='url'><url>http://127.0.0.1:${port}/</url></install></os>` +
          `<disk><size>4G</size></disk></template>\n`,
      );
      const workdir = join(work, 'build');
      const env = { ...process.env, OZKIT_CACHE_DIR: join(work, 'cache'), OZKIT_ACCEL: 'tcg', OZKIT_MEMORY: '1024' };
      let doc = '';
      for (const [tool, args] of [
        ['tdl-validate', ['--workdir', workdir, tdl]],
        ['ks-render', []],
        ['iso-fetch', []],
      ] as [string, string[]][]) {
        const r = await runStageCli(tool, args, doc, env);
        expect(r.code, `${tool}: ${r.stderr}`).toBe(0);
        doc = r.stdout;
      }
      const fetched = JSON.parse(doc);
      expect(fetched.media.boot.method).toBe('kernel');
      expect(fetched.media.boot.append).toMatch(/priority=critical/);
      expect(fetched.media.boot.append).not.toMatch(/auto=true/);

      const started = Date.now();
      const r = await runStageCli('guest-install', ['--inactivity', '600', '--timeout', '2400'], doc, env);
      const seconds = (Date.now() - started) / 1000;
      expect([75]).toContain(r.code);
      const out = JSON.parse(r.stdout);
      expect(['INACTIVITY', 'TIMEOUT']).toContain(out.failure.code);

      // d-i read the preseed and ran its early_command …
      const raw = readFileSync(join(workdir, 'install-console.log'), 'latin1');
      expect(raw, plainText(raw).slice(-3000)).toContain(fetched.answer.loadedMarker);
      expect(r.stderr).toMatch(/the installer read the answer file/);
      const text = plainText(raw);
      expect(text).not.toMatch(/Failed to process the preconfiguration file|Failed to retrieve the preconfiguration file/);
      // … configured the network and reached the archive with no question asked on the way.
      expect(text).toContain('Configuring the network with DHCP');
      const reached = text.search(/Downloading Release files|Loading additional components|Retrieving Release|Download installer components/);
      expect(reached, text.slice(-3000)).toBeGreaterThan(0);
      expect(text.slice(0, reached)).not.toContain('<Go Back>');

      // The failure: a real PNG screenshot, the console tail, the watchdog's samples, in the message too.
      const failure = out.failure;
      expect(failure.screenshots).toHaveLength(1);
      expect(readFileSync(failure.screenshots[0]).subarray(1, 4).toString()).toBe('PNG');
      expect(failure.consoleTail.length).toBeGreaterThan(0);
      expect(failure.consoleTail.length).toBeLessThanOrEqual(40);
      expect(failure.watchdog.length).toBeGreaterThan(3);
      expect(r.stderr).toMatch(/guest-install: install failed after \d+ s: (no disk activity|the install did not finish)/);
      expect(r.stderr).toContain(`screenshot: ${failure.screenshots[0]}`);
      expect(r.stderr).toMatch(/guest-install:\s+\| /);
      // Nothing left behind.
      expect(qemuProcessesFor(workdir)).toEqual([]);
      expect(readdirSync(workdir).filter((f) => f.endsWith('.qcow2') || f.includes('.partial-'))).toEqual([]);
      expect(seconds).toBeLessThan(2400);
    },
    40 * 60_000,
  );
});
