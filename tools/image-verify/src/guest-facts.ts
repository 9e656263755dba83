/**
 * What image-verify asks the booted guest, as one shell command run as the cloud user (no
 * sudo needed: everything read is world-readable), and the parse of its answer. Kept apart
 * from the SSH session so the parse is tested on real output shapes.
 */

const MARK = '=== ozkit ';

/** Sections: epoch and uptime (to place guest times on the host's clock), hostname, root size, machine-id, host keys, cloud-init status. */
export const GUEST_FACTS_COMMAND = [
  `echo '${MARK}clock'; date +%s.%N; cut -d' ' -f1 /proc/uptime`,
  `echo '${MARK}hostname'; hostname`,
  `echo '${MARK}root'; df -B1 --output=size / | tail -n 1 | tr -d ' '; findmnt -n -o SOURCE / 2>/dev/null || true`,
  `echo '${MARK}machine-id'; cat /etc/machine-id 2>/dev/null; stat -c %Y /etc/machine-id 2>/dev/null`,
  `echo '${MARK}host-keys'; for f in /etc/ssh/ssh_host_*_key.pub; do [ -f "$f" ] && echo "$(stat -c %Y "$f") $(ssh-keygen -l -E sha256 -f "$f" 2>/dev/null | cut -d' ' -f2) $f"; done`,
  `echo '${MARK}status-json'; cat /run/cloud-init/status.json 2>/dev/null || echo '{}'`,
  'true',
].join('; ');

export interface GuestFacts {
  /** The guest's clock (epoch seconds) when it answered, and its uptime then. */
  epoch: number;
  uptime: number;
  hostname: string;
  rootBytes: number;
  rootSource: string;
  machineId: string;
  machineIdMtime: number;
  hostKeys: { mtime: number; sha256: string; path: string }[];
  statusJson: string;
}

function sections(output: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of output.split('\n')) {
    if (line.startsWith(MARK)) map.set(line.slice(MARK.length).trim(), (current = []));
    else current?.push(line);
  }
  return map;
}

export function parseGuestFacts(output: string): GuestFacts {
  const s = sections(output);
  const get = (name: string) => (s.get(name) ?? []).map((l) => l.trim()).filter(Boolean);
  const [epoch, uptime] = get('clock').map(Number);
  const [rootBytes, rootSource] = get('root');
  const [machineId, machineIdMtime] = get('machine-id');
  return {
    epoch: epoch ?? NaN,
    uptime: uptime ?? NaN,
    hostname: get('hostname')[0] ?? '',
    rootBytes: Number(rootBytes ?? NaN),
    rootSource: rootSource ?? '',
    machineId: machineId ?? '',
    machineIdMtime: Number(machineIdMtime ?? NaN),
    hostKeys: get('host-keys').map((l) => {
      const [mtime, sha256, path] = l.split(/\s+/);
      return { mtime: Number(mtime), sha256: sha256 ?? '', path: path ?? '' };
    }),
    statusJson: (s.get('status-json') ?? []).join('\n').trim() || '{}',
  };
}

/** The guest's boot time on its own clock (epoch seconds). */
export const guestBootEpoch = (facts: GuestFacts) => facts.epoch - facts.uptime;

export interface CloudInitStatus {
  datasource?: string;
  /** Errors of every stage (init-local, init, modules-config, modules-final). */
  errors: string[];
  /** When modules-final finished (guest epoch seconds). */
  finished?: number;
}

/** cloud-init's /run/cloud-init/status.json (`{"v1": {"datasource": …, "init": {"errors": [], …}, …}}`). */
export function parseStatusJson(text: string): CloudInitStatus {
  let v1: Record<string, unknown> = {};
  try {
    v1 = ((JSON.parse(text) as { v1?: Record<string, unknown> }).v1 ?? {}) as Record<string, unknown>;
  } catch {
    return { errors: ['status.json is not JSON'] };
  }
  const errors: string[] = [];
  let finished: number | undefined;
  for (const [stage, value] of Object.entries(v1)) {
    if (!value || typeof value !== 'object' || Array.isArray(value)) continue;
    const record = value as { errors?: unknown; finished?: unknown };
    if (Array.isArray(record.errors)) errors.push(...record.errors.map((e) => `${stage}: ${String(e)}`));
    if (stage === 'modules-final' && typeof record.finished === 'number') finished = record.finished;
  }
  const datasource = typeof v1.datasource === 'string' ? v1.datasource : undefined;
  return { ...(datasource ? { datasource } : {}), errors, ...(finished !== undefined ? { finished } : {}) };
}

/** The datasource cloud-init must have used for each kind of metadata (status.json names its class). */
export const EXPECTED_DATASOURCE = { 'config-drive': 'DataSourceConfigDrive', nocloud: 'DataSourceNoCloud' } as const;
