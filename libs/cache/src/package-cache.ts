import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { OzkitError } from '@ozkit/errors';
import { acquireLock } from './file-lock.js';

/** The program of Debian's apt-cacher-ng package. */
export const APT_CACHER_NG = '/usr/sbin/apt-cacher-ng';
/** Under QEMU user networking the guest reaches the host's 127.0.0.1 at this address. */
export const USER_NETWORK_HOST = '10.0.2.2';
/** The default port of ozkit's cache: not apt-cacher-ng's own 3142, so a system one can run beside it. */
export const DEFAULT_PACKAGE_CACHE_PORT = 3143;

/** The proxy URL the guest is given for a cache on `port`. */
export function guestProxyUrl(port: number): string {
  return `http://${USER_NETWORK_HOST}:${port}/`;
}

export interface PackageCache {
  /** The URL the guest uses as its HTTP proxy (`http://10.0.2.2:PORT/`). */
  guestUrl: string;
  /** The URL on the host. */
  hostUrl: string;
  /** True if this process started apt-cacher-ng; false if one ozkit had started was reused. */
  started: boolean;
  /** apt-cacher-ng's transfer log (`I` lines: fetched from upstream, `O` lines: sent to a client). */
  logFile: string;
  /** Ends this process's use; the last user stops apt-cacher-ng. */
  release(): Promise<void>;
}

export interface PackageCacheOptions {
  /** The cache's own directory (under the ozkit cache): packages, logs, pid file, users. */
  dir: string;
  port: number;
  /** How long apt-cacher-ng may take to accept connections (default 15 s). */
  startTimeoutMs?: number;
}

/**
 * A caching HTTP proxy for package downloads shared by every build: Debian's apt-cacher-ng on
 * 127.0.0.1:`port`, with its own configuration, cache and logs in `dir`. One started by another
 * ozkit process (its pid file in `dir`) is reused; each user registers its pid, and the last one
 * to release it stops it, so a build that ends does not pull the proxy from under another.
 */
export async function openPackageCache(options: PackageCacheOptions): Promise<PackageCache> {
  const { dir, port } = options;
  if (!existsSync(APT_CACHER_NG))
    throw new OzkitError('PROGRAM_MISSING', `the package cache needs ${APT_CACHER_NG}, which is not installed`, {
      hint: 'apt-get install apt-cacher-ng, or set [cache] packages = no',
    });
  const paths = layout(dir);
  for (const d of [paths.conf, paths.cache, paths.log, paths.users]) mkdirSync(d, { recursive: true });
  const lock = await acquireLock(paths.lock, { timeoutMs: 60_000 });
  let started = false;
  try {
    writeFileSync(join(paths.users, String(process.pid)), '');
    const running = runningPid(paths.pidFile);
    if (running === undefined) {
      if (await portAnswers(port))
        throw new OzkitError('SERVICE_UNAVAILABLE', `127.0.0.1:${port} is taken by another program, so the package cache cannot start there`, {
          hint: 'set [cache] packages_port (OZKIT_PACKAGE_CACHE_PORT) to a free port',
        });
      await startAptCacher(paths, port, options.startTimeoutMs ?? 15_000);
      started = true;
    } else if (!(await portAnswers(port))) {
      throw new OzkitError('SERVICE_UNAVAILABLE', `the package cache (apt-cacher-ng pid ${running}) does not answer on 127.0.0.1:${port}`, {
        hint: `it runs with another port: set the same [cache] packages_port for every build, or stop pid ${running}`,
      });
    }
  } catch (error) {
    rmSync(join(paths.users, String(process.pid)), { force: true });
    throw error;
  } finally {
    await lock.release();
  }
  let released = false;
  return {
    guestUrl: guestProxyUrl(port),
    hostUrl: `http://127.0.0.1:${port}/`,
    started,
    logFile: join(paths.log, 'apt-cacher.log'),
    async release() {
      if (released) return;
      released = true;
      await releaseUser(paths);
    },
  };
}

function layout(dir: string) {
  return {
    conf: join(dir, 'conf'),
    cache: join(dir, 'packages'),
    log: join(dir, 'log'),
    users: join(dir, 'users'),
    lock: join(dir, 'state.lock'),
    pidFile: join(dir, 'apt-cacher-ng.pid'),
  };
}

type Layout = ReturnType<typeof layout>;

async function startAptCacher(paths: Layout, port: number, timeoutMs: number): Promise<void> {
  // Everything in our own directory: the system's /etc/apt-cacher-ng (and a system daemon) stay untouched.
  writeFileSync(join(paths.conf, 'acng.conf'), '# written by ozkit: the settings come on the command line\n');
  rmSync(paths.pidFile, { force: true });
  const err = openSync(join(paths.log, 'daemon.out'), 'a');
  const settings = [
    'ForeGround=1',
    `Port=${port}`,
    'BindAddress=127.0.0.1',
    `CacheDir=${paths.cache}`,
    `LogDir=${paths.log}`,
    `PidFile=${paths.pidFile}`,
    // A mirror may be on any port (a local one on :8080); only 127.0.0.1 reaches this proxy.
    'AllowUserPorts=0',
  ];
  // Detached: it outlives this process while another build still uses it.
  const child = spawn(APT_CACHER_NG, ['-c', paths.conf, ...settings], { detached: true, stdio: ['ignore', err, err] });
  closeSync(err);
  let exited: number | null | undefined;
  child.on('exit', (code) => (exited = code));
  child.unref();
  const deadline = Date.now() + timeoutMs;
  const out = join(paths.log, 'daemon.out');
  while (Date.now() < deadline) {
    // It stays up when it cannot bind, saying so once.
    if (exited !== undefined || /Error .*binding/.test(readTail(out))) break;
    if ((await portAnswers(port)) && runningPid(paths.pidFile) !== undefined) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  if (exited === undefined && child.pid) process.kill(child.pid, 'SIGTERM');
  const tail = readTail(out);
  throw new OzkitError(
    'SERVICE_UNAVAILABLE',
    `apt-cacher-ng did not start on 127.0.0.1:${port}${exited !== undefined ? ` (exit ${exited})` : ''}${tail ? `: ${tail}` : ''}`,
    {
      hint: `see ${paths.log}`,
    },
  );
}

async function releaseUser(paths: Layout): Promise<void> {
  const lock = await acquireLock(paths.lock, { timeoutMs: 60_000 });
  try {
    rmSync(join(paths.users, String(process.pid)), { force: true });
    const others = readdirSync(paths.users).filter((name) => {
      const pid = Number(name);
      if (Number.isInteger(pid) && pid > 0 && alive(pid)) return true;
      rmSync(join(paths.users, name), { force: true });
      return false;
    });
    if (others.length > 0) return;
    const pid = runningPid(paths.pidFile);
    if (pid === undefined) return;
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
    if (alive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(paths.pidFile, { force: true });
  } finally {
    await lock.release();
  }
}

/** The pid in the pid file if that process is an apt-cacher-ng (not a recycled pid). */
function runningPid(pidFile: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return undefined;
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim().startsWith('apt-cacher') ? pid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie (exited, not yet reaped by its parent) no longer serves anything.
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

function readTail(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-3).join(' / ');
  } catch {
    return '';
  }
}

/**
 * A shell script (double quotes only, so it fits in `sh -c '…'`) that removes every line naming
 * `guestUrl`'s host and port from apt's configuration, and files left empty by that; it prints
 * how many files it changed.
 */
export function aptProxyRemovalScript(guestUrl: string): string {
  const { hostname, port } = new URL(guestUrl);
  const pattern = `${hostname.replace(/\./g, '\\.')}:${port}`;
  return (
    `n=0; for f in /etc/apt/apt.conf /etc/apt/apt.conf.d/*; do ` +
    `if [ -f "$f" ] && grep -q "${pattern}" "$f"; then sed -i "/${pattern}/d" "$f"; n=$((n+1)); ` +
    `if ! grep -q "[^[:space:]]" "$f"; then rm -f "$f"; fi; fi; done; echo "removed from $n file(s)"`
  );
}
