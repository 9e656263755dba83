# Drivers, the installer medium and the target disk.

INSTALLER_MODULES="virtio_pci virtio_blk virtio_scsi virtio_net virtio_rng ata_piix ata_generic ahci nvme
sd_mod sr_mod isofs squashfs loop ext4 e1000 e1000e 8139cp ne2k_pci pcnet32"

load_drivers() {
  for m in $INSTALLER_MODULES; do
    modprobe -q "$m" 2>/dev/null || true
  done
}

# find_installer_medium: mounts the ISO that carries the root image at /cdrom (read-only).
# Looks at CD drives first, then disks (an isohybrid image attached as a disk), for a while,
# since ATA/SCSI probing finishes after the modules load.
find_installer_medium() {
  mkdir -p /cdrom
  _fm_tries=0
  while [ $_fm_tries -lt 60 ]; do
    for _fm_dev in /dev/sr* /dev/vd? /dev/sd? /dev/hd? /dev/xvd? /dev/nvme?n?; do
      [ -b "$_fm_dev" ] || continue
      if mount -t iso9660 -o ro "$_fm_dev" /cdrom 2>/dev/null; then
        if [ -f /cdrom/ozkit-installer/rootfs.squashfs ]; then
          INSTALLER_DEVICE=$_fm_dev
          log "installer medium: $_fm_dev"
          return 0
        fi
        umount /cdrom
      fi
    done
    _fm_tries=$((_fm_tries + 1))
    sleep 1
  done
  return 1
}

# first_disk: prints the first whole disk that is not the installer medium.
first_disk() {
  for _fd in /sys/block/*; do
    _fd_name=${_fd##*/}
    case $_fd_name in vd*|sd*|hd*|xvd*|nvme*n*) ;; *) continue ;; esac
    case $_fd_name in nvme*p*) continue ;; esac
    [ "/dev/$_fd_name" = "$INSTALLER_DEVICE" ] && continue
    [ "$(cat "$_fd/size" 2>/dev/null || echo 0)" -gt 0 ] || continue
    echo "/dev/$_fd_name"
    return 0
  done
  return 1
}

# partition_name DISK N: /dev/vda 1 → /dev/vda1, /dev/nvme0n1 1 → /dev/nvme0n1p1.
partition_name() {
  case $1 in *[0-9]) echo "${1}p$2" ;; *) echo "$1$2" ;; esac
}

wait_for_block() {
  _wb=0
  while [ ! -b "$1" ] && [ $_wb -lt 50 ]; do sleep 0.2; _wb=$((_wb + 1)); done
  [ -b "$1" ]
}
