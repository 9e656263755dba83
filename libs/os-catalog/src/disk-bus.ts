/** The disk bus for a TDL os/name + version: old guests without virtio drivers get IDE when the bus is `auto`. */
export function diskBusFor(requested: 'auto' | 'virtio' | 'ide', os: { name: string; version: string }): 'virtio' | 'ide' {
  if (requested !== 'auto') return requested;
  const name = os.name.toLowerCase();
  const major = Number.parseInt(os.version, 10);
  if (name.startsWith('windows')) return 'ide';
  if (['rhel', 'centos', 'rhl', 'scientificlinux', 'sl', 'oel'].includes(name) && major < 5) return 'ide';
  if (name === 'debian' && major < 5) return 'ide';
  if (name === 'ubuntu' && major < 8) return 'ide';
  if (name === 'fedora' && major < 8) return 'ide';
  return 'virtio';
}
