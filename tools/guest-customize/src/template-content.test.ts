import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OzkitError } from '@ozkit/errors';
import { resolveContent } from './template-content.js';

let server: Server;
let base: string;
let hits = 0;
const dir = mkdtempSync(join(tmpdir(), 'ozkit-content-'));

beforeAll(async () => {
  server = createServer((req, res) => {
    hits++;
    if (req.url === '/motd') res.end('hello from http\n');
    else {
      res.statusCode = 404;
      res.end('no');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

const opts = () => ({ cacheDir: join(dir, 'cache') });

describe('resolveContent', () => {
  it('keeps raw text and decodes base64', async () => {
    expect((await resolveContent({ label: 'f', type: 'raw', content: 'a\nb' }, opts())).toString()).toBe('a\nb');
    expect((await resolveContent({ label: 'f', type: 'base64', content: 'aGVsbG8K' }, opts())).toString()).toBe('hello\n');
    await expect(resolveContent({ label: 'file /x', type: 'base64', content: 'a$b=' }, opts())).rejects.toThrow(/file \/x: content is not valid base64/);
  });

  it('fetches http contents once and then serves them from the cache', async () => {
    hits = 0;
    const a = await resolveContent({ label: 'f', type: 'url', content: `${base}/motd` }, opts());
    const b = await resolveContent({ label: 'f', type: 'url', content: `${base}/motd` }, { ...opts(), offline: true });
    expect(a.toString()).toBe('hello from http\n');
    expect(b.equals(a)).toBe(true);
    expect(hits).toBe(1);
  });

  it('reads file:// on the host and names what is missing', async () => {
    writeFileSync(join(dir, 'local.sh'), 'echo local');
    expect((await resolveContent({ label: 'c', type: 'url', content: `file://${join(dir, 'local.sh')}` }, opts())).toString()).toBe('echo local');
    const error = (await resolveContent({ label: 'command 2 (x)', type: 'url', content: `${base}/missing` }, opts()).catch((e: unknown) => e)) as OzkitError;
    expect(error.message).toMatch(/command 2 \(x\): cannot fetch .*\/missing: HTTP 404/);
    expect(error.exitCode).toBe(66);
    const offline = (await resolveContent({ label: 'f', type: 'url', content: `${base}/other` }, { ...opts(), offline: true }).catch(
      (e: unknown) => e,
    )) as OzkitError;
    expect(offline.code).toBe('OFFLINE_MISS');
  });
});
