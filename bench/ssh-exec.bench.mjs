#!/usr/bin/env node
// Running many short commands on a guest: one @ozkit/ssh session (what guest-customize does) vs one
// OpenSSH `ssh` process per command with Oz's options (what oz-customize does), against a real sshd
// on 127.0.0.1. Also SFTP upload of a 64 MiB file vs `mkdir` + `scp`. Goals: commands ≤ 0.5x, upload ≤ 1.0x.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomFillSync } from 'node:crypto';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const COMMANDS = Number(process.env.BENCH_COMMANDS ?? 30);
const UPLOAD = Number(process.env.BENCH_UPLOAD_BYTES ?? 64 * 1024 ** 2);
const root = fileURLToPath(new URL('..', import.meta.url));
const { SshSession, HostKeyPin, loadPrivateKey } = await import(join(root, 'libs/ssh/dist/index.js'));
const dir = mkdtempSync(join(tmpdir(), 'ozkit-bench-ssh-'));

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
const accepts = (port) =>
  new Promise((resolve) => {
    const s = new Socket();
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
    s.connect(port, '127.0.0.1');
  });

execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'client')]);
execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host')]);
writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client.pub')));
mkdirSync('/run/sshd', { recursive: true });
const port = await freePort();
writeFileSync(
  join(dir, 'sshd_config'),
  `ListenAddress 127.0.0.1\nHostKey ${join(dir, 'host')}\nAuthorizedKeysFile ${join(dir, 'authorized_keys')}\nUsePAM no\nStrictModes no\nPidFile none\nSubsystem sftp internal-sftp\nLogLevel ERROR\nMaxStartups 100\n`,
);
const sshd = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'sshd_config'), '-p', String(port)], { stdio: 'ignore' });
while (!(await accepts(port))) await new Promise((r) => setTimeout(r, 50));

const ozSshArgs = [
  '-i',
  join(dir, 'client'),
  '-F',
  '/dev/null',
  '-o',
  'ServerAliveInterval=30',
  '-o',
  'StrictHostKeyChecking=no',
  '-o',
  'ConnectTimeout=30',
  '-o',
  'UserKnownHostsFile=/dev/null',
  '-o',
  'PasswordAuthentication=no',
  '-o',
  'IdentitiesOnly yes',
  '-o',
  'LogLevel=ERROR',
  '-p',
  String(port),
];
const time = async (fn) => {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
};

try {
  const key = await loadPrivateKey(join(dir, 'client'));
  const session = async () => {
    const s = await SshSession.connect({ host: '127.0.0.1', port, privateKey: key, hostKeys: new HostKeyPin() });
    for (let i = 0; i < COMMANDS; i++) await s.exec(`echo ${i}`, { timeoutMs: 30_000 });
    await s.close();
  };
  const perProcess = async () => {
    for (let i = 0; i < COMMANDS; i++) {
      const r = spawnSync('ssh', [...ozSshArgs, 'root@127.0.0.1', `echo ${i}`]);
      if (r.status !== 0) throw new Error(`ssh exited ${r.status}: ${r.stderr}`);
    }
  };
  const file = join(dir, 'upload.bin');
  const data = Buffer.alloc(UPLOAD);
  randomFillSync(data);
  writeFileSync(file, data);
  const sftp = async () => {
    const s = await SshSession.connect({ host: '127.0.0.1', port, privateKey: key, hostKeys: new HostKeyPin() });
    await s.upload(data, join(dir, 'up-sftp', 'deep', 'file.bin'), { mode: 0o600 });
    await s.close();
  };
  const scp = async () => {
    spawnSync('ssh', [...ozSshArgs, 'root@127.0.0.1', `mkdir -p ${join(dir, 'up-scp')}`]);
    const r = spawnSync('scp', [...ozSshArgs.map((a) => (a === '-p' ? '-P' : a)), file, `root@127.0.0.1:${join(dir, 'up-scp', 'file.bin')}`]);
    if (r.status !== 0) throw new Error(`scp exited ${r.status}: ${r.stderr}`);
  };
  const rows = [];
  // Best of three each, alternating, so one slow moment on a shared machine does not decide the ratio.
  const sessions = [];
  const processes = [];
  for (let i = 0; i < 3; i++) {
    sessions.push(await time(session));
    processes.push(await time(perProcess));
  }
  rows.push([`${COMMANDS} commands`, 'one SshSession', Math.min(...sessions), 'ssh per command (Oz)', Math.min(...processes), 0.5]);
  const ups = [];
  const scps = [];
  for (let i = 0; i < 3; i++) {
    ups.push(await time(sftp));
    scps.push(await time(scp));
  }
  rows.push([`upload ${UPLOAD / 1024 ** 2} MiB`, 'SshSession.upload (atomic)', Math.min(...ups), 'ssh mkdir + scp (Oz)', Math.min(...scps), 1.0]);
  console.log('| case                 | ozkit                          | seconds | baseline                  | seconds | ozkit/baseline | goal  |');
  console.log('|----------------------|--------------------------------|--------:|---------------------------|--------:|---------------:|------:|');
  for (const [name, ours, t1, base, t2, goal] of rows)
    console.log(
      `| ${name.padEnd(20)} | ${ours.padEnd(30)} | ${t1.toFixed(2).padStart(7)} | ${base.padEnd(25)} | ${t2.toFixed(2).padStart(7)} | ${(t1 / t2).toFixed(2).padStart(14)} | ≤ ${goal.toFixed(1)} |`,
    );
} finally {
  sshd.kill();
  rmSync(dir, { recursive: true, force: true });
}
