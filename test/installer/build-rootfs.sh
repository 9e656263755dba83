#!/bin/bash
# Builds the Debian root tree the test installer lays down, as a squashfs image plus the
# kernel and module tree the installer's own initrd borrows. Called by build.sh (which holds
# the lock and decides the output directory); safe to run alone for debugging:
#   bash test/installer/build-rootfs.sh SUITE MIRROR OUTDIR
set -euo pipefail

suite=${1:?suite}; mirror=${2:?mirror}; out=${3:?output directory}
say() { printf 'test-installer: %s\n' "$*" >&2; }

# What a Debian netinst "standard system + SSH server" install leaves that later stages rely on,
# kept small: systemd as init, sshd, a kernel, GRUB for BIOS, DHCP+DNS through systemd.
packages=systemd,systemd-sysv,systemd-resolved,udev,dbus,openssh-server,linux-image-amd64,grub-pc,fdisk,e2fsprogs,tzdata,iproute2,netbase,ca-certificates,kmod,initramfs-tools

work=$(mktemp -d "$out.tmp.XXXXXX")
tree=$work/tree
cleanup() {
  for m in proc sys dev/pts dev; do umount -l "$tree/$m" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

say "debootstrap $suite from $mirror (a few minutes)"
t0=$(date +%s)
if ! debootstrap --variant=minbase --include="$packages" "$suite" "$tree" "$mirror" >"$work/debootstrap.log" 2>&1; then
  tail -n 30 "$work/debootstrap.log" >&2
  [ -f "$tree/debootstrap/debootstrap.log" ] && tail -n 30 "$tree/debootstrap/debootstrap.log" >&2
  say "debootstrap failed (log above)"
  exit 69
fi
say "debootstrap done in $(( $(date +%s) - t0 )) s"

in_tree() { chroot "$tree" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive "$@"; }

# Serial console on the installed system's kernel line and in GRUB itself.
sed -i \
  -e 's/^GRUB_TIMEOUT=.*/GRUB_TIMEOUT=1/' \
  -e 's/^GRUB_CMDLINE_LINUX_DEFAULT=.*/GRUB_CMDLINE_LINUX_DEFAULT=""/' \
  -e 's/^GRUB_CMDLINE_LINUX=.*/GRUB_CMDLINE_LINUX="console=tty0 console=ttyS0,115200n8"/' \
  "$tree/etc/default/grub"
cat >>"$tree/etc/default/grub" <<'GRUB'
GRUB_TERMINAL="console serial"
GRUB_SERIAL_COMMAND="serial --speed=115200 --unit=0 --word=8 --parity=no --stop=1"
GRUB_DISABLE_OS_PROBER=true
GRUB

# DHCP on whatever the NIC ends up being called; DNS through resolved.
cat >"$tree/etc/systemd/network/80-ozkit-dhcp.network" <<'NET'
[Match]
Name=en* eth*

[Network]
DHCP=yes
NET
in_tree systemctl enable systemd-networkd.service systemd-resolved.service ssh.service serial-getty@ttyS0.service >/dev/null 2>&1
in_tree systemctl is-enabled systemd-networkd.service ssh.service >/dev/null

# Per-machine identity is created at install time (host keys) or first boot (machine-id).
rm -f "$tree"/etc/ssh/ssh_host_*
: >"$tree/etc/machine-id"
rm -f "$tree/var/lib/dbus/machine-id"
echo debian >"$tree/etc/hostname"
: >"$tree/etc/fstab"

# No package caches or index files on the medium: the installer runs apt-get update itself.
in_tree apt-get clean
rm -rf "$tree"/var/lib/apt/lists/* "$tree"/var/cache/apt/*.bin "$tree"/var/log/*.log "$tree"/debootstrap
mkdir -p "$tree/var/lib/apt/lists/partial"

kver=$(basename "$(ls -d "$tree"/lib/modules/* | sort -V | tail -n 1)")
say "kernel $kver, tree $(du -sm "$tree" | cut -f1) MiB"

t0=$(date +%s)
# zstd: decompresses several times faster than xz under TCG, which the install's copy is bound by.
if ! mksquashfs "$tree" "$work/rootfs.squashfs" -comp zstd -Xcompression-level 9 -noappend -quiet -no-progress >"$work/mksquashfs.log" 2>&1; then
  cat "$work/mksquashfs.log" >&2; say "mksquashfs failed"; exit 70
fi
grep -v 'Unrecognised xattr prefix system.posix_acl' "$work/mksquashfs.log" >&2 || true
say "squashfs $(( $(stat -c %s "$work/rootfs.squashfs") / 1048576 )) MiB in $(( $(date +%s) - t0 )) s"

mkdir -p "$work/result"
mv "$work/rootfs.squashfs" "$work/result/"
cp "$tree/boot/vmlinuz-$kver" "$work/result/vmlinuz"
echo "$kver" >"$work/result/kernel-version"
# Where the modules sit inside the image (usr/lib/modules on merged-/usr), for unsquashfs.
moddir=$(readlink -f "$tree/lib/modules/$kver"); echo "${moddir#"$tree"/}" >"$work/result/modules-path"
cat "$tree/etc/debian_version" >"$work/result/debian-version"
rm -rf "$out"
mv "$work/result" "$out"
