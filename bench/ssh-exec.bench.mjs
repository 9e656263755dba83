#!/usr/bin/env node
// Running many short commands on a guest: one @ozkit/ssh session (what guest-customize does) vs one
// OpenSSH `ssh` process per command with Oz's options (what oz-customize does), against a real sshd
// on 127.0.0.1. Also SFTP upload of a 64 MiB file vs `mkdir` + `scp`. Goals: commands ≤ 0.5x, upload ≤ 1.0x.
//
// sshd runs every command through root's login shell, and bash sources ~/.bashrc when sshd starts it.
// A guest has its distribution's root dotfiles; the host running the bench may have anything there
// (here: `pyenv init`, ~0.2-0.4 s per shell, paid by both sides alike). So the goal rows run against
// an sshd whose /root is a temporary directory with Debian's default root dotfiles (a bind mount in a
// mount namespace of its own); the host's own /root is measured too, for comparison, with no goal.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
writeFileSync(
  join(dir, 'sshd_config'),
  `ListenAddress 127.0.0.1\nHostKey ${join(dir, 'host')}\nAuthorizedKeysFile ${join(dir, 'authorized_keys')}\nUsePAM no\nStrictModes no\nPidFile none\nSubsystem sftp internal-sftp\nLogLevel ERROR\nMaxStartups 100\n`,
);
// What a freshly installed Debian guest has in /root (base-files); empty where the host has no base-files.
const guestHome = join(dir, 'guest-root');
mkdirSync(guestHome, { mode: 0o700 });
for (const [from, to] of [
  ['/usr/share/base-files/dot.bashrc', '.bashrc'],
  ['/usr/share/base-files/dot.profile', '.profile'],
])
  if (existsSync(from)) copyFileSync(from, join(guestHome, to));

/** sshd on a free port; with `home`, in a mount namespace where that directory is bind-mounted over /root. */
const startSshd = async (home) => {
  const port = await freePort();
  const args = ['-D', '-e', '-f', join(dir, 'sshd_config'), '-p', String(port)];
  // `exec` keeps sshd the spawned process, so killing it ends the server.
  const child = home
    ? spawn('unshare', ['--mount', 'sh', '-c', `mount --bind "$0" /root && exec /usr/sbin/sshd "$@"`, home, ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
    : spawn('/usr/sbin/sshd', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  for (;;) {
    if (child.exitCode !== null) return { error: stderr.trim() || `exit ${child.exitCode}` };
    if (await accepts(port)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return { port, stop: () => (child.kill(), exited) };
};

const ozSshArgs = (port) => [
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
// Best of three each, alternating, so one slow moment on a shared machine does not decide the ratio.
const bestOfThree = async (ours, theirs) => {
  const a = [];
  const b = [];
  for (let i = 0; i < 3; i++) {
    a.push(await time(ours));
    b.push(await time(theirs));
  }
  return [Math.min(...a), Math.min(...b)];
};

const key = await loadPrivateKey(join(dir, 'client'));
const file = join(dir, 'upload.bin');
const data = Buffer.alloc(UPLOAD);
randomFillSync(data);
writeFileSync(file, data);

/** The four timings against one sshd. */
const measure = async (port) => {
  const connect = () => SshSession.connect({ host: '127.0.0.1', port, privateKey: key, hostKeys: new HostKeyPin() });
  const session = async () => {
    const s = await connect();
    for (let i = 0; i < COMMANDS; i++) await s.exec(`echo ${i}`, { timeoutMs: 30_000 });
    await s.close();
  };
  const perProcess = async () => {
    for (let i = 0; i < COMMANDS; i++) {
      const r = spawnSync('ssh', [...ozSshArgs(port), 'root@127.0.0.1', `echo ${i}`]);
      if (r.status !== 0) throw new Error(`ssh exited ${r.status}: ${r.stderr}`);
    }
  };
  const sftp = async () => {
    const s = await connect();
    await s.upload(data, join(dir, 'up-sftp', 'deep', 'file.bin'), { mode: 0o600 });
    await s.close();
  };
  const scp = async () => {
    spawnSync('ssh', [...ozSshArgs(port), 'root@127.0.0.1', `mkdir -p ${join(dir, 'up-scp')}`]);
    const r = spawnSync('scp', [...ozSshArgs(port).map((a) => (a === '-p' ? '-P' : a)), file, `root@127.0.0.1:${join(dir, 'up-scp', 'file.bin')}`]);
    if (r.status !== 0) throw new Error(`scp exited ${r.status}: ${r.stderr}`);
  };
  return { commands: await bestOfThree(session, perProcess), upload: await bestOfThree(sftp, scp) };
};

const rows = [];
const notes = [];
try {
  for (const [homeName, home, goals] of [
    ['guest (Debian default)', guestHome, true],
    ["this host's /root", undefined, false],
  ]) {
    const sshd = await startSshd(home);
    if (sshd.error) {
      notes.push(`no sshd with the ${homeName} root home (${sshd.error}); needs root and mount namespaces`);
      continue;
    }
    try {
      if (home) {
        // A bind mount that did not take would measure the host's /root under the guest's name.
        const s = await SshSession.connect({ host: '127.0.0.1', port: sshd.port, privateKey: key, hostKeys: new HostKeyPin() });
        const listed = (await s.exec('ls -A /root', { timeoutMs: 30_000, captureStdout: true })).stdout.split('\n').filter(Boolean).sort().join(' ');
        await s.close();
        const expected = readdirSync(home).sort().join(' ');
        if (listed !== expected) throw new Error(`the sshd for the ${homeName} root home sees /root as "${listed}", not "${expected}"`);
      }
      const { commands, upload } = await measure(sshd.port);
      rows.push([`${COMMANDS} commands`, homeName, 'one SshSession', commands[0], 'ssh per command (Oz)', commands[1], goals ? '≤ 0.5' : '—']);
      rows.push([`upload ${UPLOAD / 1024 ** 2} MiB`, homeName, 'SshSession.upload (atomic)', upload[0], 'ssh mkdir + scp (Oz)', upload[1], goals ? '≤ 1.0' : '—']);
    } finally {
      await sshd.stop();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(
  '| case                 | root home              | ozkit                          | seconds | baseline                  | seconds | ozkit/baseline | goal  |',
);
console.log(
  '|----------------------|------------------------|--------------------------------|--------:|---------------------------|--------:|---------------:|------:|',
);
for (const [name, home, ours, t1, base, t2, goal] of rows)
  console.log(
    `| ${name.padEnd(20)} | ${home.padEnd(22)} | ${ours.padEnd(30)} | ${t1.toFixed(2).padStart(7)} | ${base.padEnd(25)} | ${t2.toFixed(2).padStart(7)} | ${(t1 / t2).toFixed(2).padStart(14)} | ${goal.padEnd(5)} |`,
  );
for (const note of notes) console.log(`note: ${note}`);
if (notes.length) process.exitCode = 1;
