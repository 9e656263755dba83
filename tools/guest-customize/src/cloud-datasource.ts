import type { TargetCloud } from '@ozkit/config';

/** Where the seal step pins cloud-init's datasources (late in cloud.cfg.d, so it wins over the distribution's). */
export const DATASOURCE_FILE = '/etc/cloud/cloud.cfg.d/90-ozkit-datasource.cfg';

/**
 * Each target's datasources, most likely first, `None` last so a boot without metadata still
 * finishes. Listing only these keeps cloud-init (and ds-identify) from probing every datasource
 * it knows, the minutes-long boot of an image started where its metadata is missing.
 */
export const DATASOURCES: Record<Exclude<TargetCloud, 'none'>, string[]> = {
  openstack: ['ConfigDrive', 'OpenStack', 'None'],
  nocloud: ['NoCloud', 'None'],
  ec2: ['Ec2', 'None'],
  gce: ['GCE', 'None'],
  azure: ['Azure', 'None'],
};

/**
 * The metadata-service budget per datasource that polls one (cloud-init's defaults wait up to
 * 120 s (Ec2) or retry 5 × 10 s (OpenStack)). ConfigDrive and NoCloud read a disk; Azure's
 * datasource has no such knob.
 */
const METADATA_BUDGET: Partial<Record<Exclude<TargetCloud, 'none'>, { datasource: string; settings: Record<string, number> }>> = {
  openstack: { datasource: 'OpenStack', settings: { max_wait: 10, timeout: 5, retries: 2 } },
  ec2: { datasource: 'Ec2', settings: { max_wait: 10, timeout: 5, retries: 2 } },
  gce: { datasource: 'GCE', settings: { retries: 2, sec_between_retries: 1 } },
};

/** The datasource file for `target` (YAML), or undefined for `none` (cloud-init left as shipped). */
export function datasourceConfig(target: TargetCloud): { datasources: string[]; text: string } | undefined {
  if (target === 'none') return undefined;
  const datasources = DATASOURCES[target];
  const lines = [
    `# Written by ozkit guest-customize --target-cloud ${target}: only this cloud's datasources are probed.`,
    `datasource_list: [ ${datasources.join(', ')} ]`,
  ];
  const budget = METADATA_BUDGET[target];
  if (budget) {
    lines.push('datasource:', `  ${budget.datasource}:`, ...Object.entries(budget.settings).map(([k, v]) => `    ${k}: ${v}`));
  }
  return { datasources, text: `${lines.join('\n')}\n` };
}
