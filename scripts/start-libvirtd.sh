#!/usr/bin/env bash
# Starts libvirtd for a local qemu:///system URI on a machine without systemd (these machines, CI),
# the way the libvirt tests do: virtlogd + libvirtd as root, and never libvirt's default NAT network
# (its autostart link is removed first: a 192.168.x bridge in this network namespace is not allowed).
set -euo pipefail
uri="${1:-qemu:///system}"
virsh -q -c "$uri" uri >/dev/null 2>&1 && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "start-libvirtd: libvirtd does not answer on $uri; start it (as root: virtlogd -d; libvirtd -d) or drop [libvirt] uri" >&2
  exit 69
fi
command -v libvirtd >/dev/null || { echo "start-libvirtd: libvirtd missing: apt-get install libvirt-daemon-system libvirt-clients" >&2; exit 69; }
rm -f /etc/libvirt/qemu/networks/autostart/*.xml
pgrep -x virtlogd >/dev/null || virtlogd -d
pgrep -x libvirtd >/dev/null || libvirtd -d
for _ in $(seq 120); do
  virsh -q -c "$uri" uri >/dev/null 2>&1 && exit 0
  sleep 0.25
done
echo "start-libvirtd: libvirtd did not answer on $uri within 30 s" >&2
exit 69
