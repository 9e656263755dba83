# Laying Debian down on the target disk. The carried root image, mounted at /rootfs, is also the
# toolbox: its sfdisk, mkfs.ext4, blkid and GNU tar run chrooted there.

toolbox() { chroot /rootfs /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }

mount_toolbox() {
  mkdir -p /rootfs
  mount -t squashfs -o ro,loop /cdrom/ozkit-installer/rootfs.squashfs /rootfs || return 1
  mount --bind /dev /rootfs/dev && mount --bind /proc /rootfs/proc && mount --bind /sys /rootfs/sys || return 1
  # /etc/resolv.conf in the image points into /run; a plain file gets the installer's bound over it.
  mount --bind /run /rootfs/run || return 1
  if [ ! -L /rootfs/etc/resolv.conf ]; then
    : >>/etc/resolv.conf
    mount --bind /etc/resolv.conf /rootfs/etc/resolv.conf
  fi
}

# partition_disk DISK: one primary, bootable Linux partition filling the disk (MBR, so GRUB for
# BIOS embeds itself after the MBR), formatted ext4 and mounted at /target.
partition_disk() {
  _pd_disk=$1
  printf 'label: dos\nstart=2048, type=83, bootable\n' | toolbox sfdisk --wipe always --wipe-partitions always -q "$_pd_disk" || return 1
  ROOT_PART=$(partition_name "$_pd_disk" 1)
  wait_for_block "$ROOT_PART" || { log "$ROOT_PART did not appear"; return 1; }
  toolbox mkfs.ext4 -q -F -L root "$ROOT_PART" || return 1
  ROOT_UUID=$(toolbox blkid -s UUID -o value "$ROOT_PART")
  # No udev here: give grub-mkconfig the by-uuid link it looks for, or it writes root=/dev/vda1.
  mkdir -p /dev/disk/by-uuid
  ln -sf "../../${ROOT_PART#/dev/}" "/dev/disk/by-uuid/$ROOT_UUID"
  mkdir -p /target
  mount -t ext4 "$ROOT_PART" /target
}

# copy_system: the root image onto /target, keeping owners, modes and hard links (the image
# carries no xattrs: the tree has no file capabilities, and tmpfiles recreates the journal ACLs).
copy_system() {
  mount --bind /target /rootfs/mnt || return 1
  toolbox sh -c 'tar -C / --one-file-system -cf - . | tar -C /mnt -xpf -'
  _cs=$?
  umount /rootfs/mnt
  return $_cs
}

# Mounts that make /target usable by chroot'ed package scripts, and keep daemons from starting.
target_mounts() {
  for _tm in dev proc sys; do mkdir -p "/target/$_tm"; done
  mount --bind /dev /target/dev && mount -t devpts devpts /target/dev/pts 2>/dev/null
  mount -t proc proc /target/proc && mount -t sysfs sysfs /target/sys || return 1
  mount -t tmpfs tmpfs /target/run
  # resolv.conf points into /run (systemd-resolved); give the chroot the installer's resolver.
  mkdir -p /target/run/systemd/resolve
  cp /etc/resolv.conf /target/run/systemd/resolve/stub-resolv.conf 2>/dev/null
  cp /etc/resolv.conf /target/run/systemd/resolve/resolv.conf 2>/dev/null
  if [ ! -L /target/etc/resolv.conf ]; then
    cp /target/etc/resolv.conf /run/target-resolv.conf.orig 2>/dev/null
    cp /etc/resolv.conf /target/etc/resolv.conf
  fi
  printf '#!/bin/sh\nexit 101\n' >/target/usr/sbin/policy-rc.d
  chmod 755 /target/usr/sbin/policy-rc.d
}

target_unmounts() {
  rm -f /target/usr/sbin/policy-rc.d
  [ -f /run/target-resolv.conf.orig ] && cp /run/target-resolv.conf.orig /target/etc/resolv.conf
  for _tu in run sys proc dev/pts dev; do umount "/target/$_tu" 2>/dev/null || umount -l "/target/$_tu" 2>/dev/null; done
  return 0
}

configure_identity() {
  _ci_host=$(preseed_get netcfg/hostname 2>/dev/null || true)
  [ -z "$_ci_host" ] && [ -s /run/dhcp-hostname ] && _ci_host=$(cat /run/dhcp-hostname)
  [ -z "$_ci_host" ] && _ci_host=$(preseed_get netcfg/get_hostname 2>/dev/null || true)
  [ -z "$_ci_host" ] && _ci_host=debian
  # d-i takes a dotted hostname as host + domain.
  _ci_domain=$(preseed_get netcfg/get_domain 2>/dev/null || true)
  case $_ci_host in *.*) _ci_domain=${_ci_host#*.}; _ci_host=${_ci_host%%.*} ;; esac
  echo "$_ci_host" >/target/etc/hostname
  if [ -n "$_ci_domain" ]; then _ci_fqdn="$_ci_host.$_ci_domain $_ci_host"; else _ci_fqdn=$_ci_host; fi
  cat >/target/etc/hosts <<HOSTS
127.0.0.1	localhost
127.0.1.1	$_ci_fqdn

::1	localhost ip6-localhost ip6-loopback
ff02::1	ip6-allnodes
ff02::2	ip6-allrouters
HOSTS
  log "hostname: $_ci_host${_ci_domain:+ (domain $_ci_domain)}"

  echo "UUID=$ROOT_UUID / ext4 errors=remount-ro 0 1" >/target/etc/fstab

  _ci_tz=$(preseed_get time/zone 2>/dev/null || echo UTC)
  if [ -e "/target/usr/share/zoneinfo/$_ci_tz" ]; then
    ln -sf "/usr/share/zoneinfo/$_ci_tz" /target/etc/localtime
    echo "$_ci_tz" >/target/etc/timezone
  else
    warn "time/zone $_ci_tz is not a known zone; keeping UTC"
  fi
  if preseed_true clock-setup/utc true; then _ci_clock=UTC; else _ci_clock=LOCAL; fi
  printf '0.0 0 0.0\n0\n%s\n' "$_ci_clock" >/target/etc/adjtime
  log "time zone: $_ci_tz, hardware clock $_ci_clock"

  # A fresh identity per installed machine: host keys now, machine-id at first boot.
  rm -f /target/etc/ssh/ssh_host_*
  in-target ssh-keygen -A >/dev/null || return 1
  : >/target/etc/machine-id
}

configure_accounts() {
  if preseed_true passwd/root-login true; then
    _ca_hash=$(preseed_get passwd/root-password-crypted 2>/dev/null || true)
    _ca_pw=$(preseed_get passwd/root-password 2>/dev/null || true)
    if [ -n "$_ca_hash" ]; then
      printf 'root:%s\n' "$_ca_hash" | in-target chpasswd -e || return 1
      log "root password set (crypted)"
    elif [ -n "$_ca_pw" ]; then
      _ca_again=$(preseed_get passwd/root-password-again 2>/dev/null || printf '%s' "$_ca_pw")
      [ "$_ca_pw" = "$_ca_again" ] || { log "passwd/root-password and passwd/root-password-again differ"; return 1; }
      printf 'root:%s\n' "$_ca_pw" | in-target chpasswd || return 1
      log "root password set"
    else
      in-target passwd -l root >/dev/null
      warn "no root password preseeded; root login by password is locked"
    fi
  else
    in-target passwd -l root >/dev/null
    log "root login disabled (passwd/root-login false)"
  fi
  if preseed_true passwd/make-user true && _ca_user=$(preseed_get passwd/username 2>/dev/null) && [ -n "$_ca_user" ]; then
    _ca_uid=$(preseed_get passwd/user-uid 2>/dev/null || true)
    _ca_full=$(preseed_get passwd/user-fullname 2>/dev/null || true)
    in-target useradd -m -s /bin/bash ${_ca_uid:+-u "$_ca_uid"} -c "$_ca_full" "$_ca_user" || return 1
    _ca_hash=$(preseed_get passwd/user-password-crypted 2>/dev/null || true)
    _ca_pw=$(preseed_get passwd/user-password 2>/dev/null || true)
    if [ -n "$_ca_hash" ]; then printf '%s:%s\n' "$_ca_user" "$_ca_hash" | in-target chpasswd -e || return 1
    elif [ -n "$_ca_pw" ]; then printf '%s:%s\n' "$_ca_user" "$_ca_pw" | in-target chpasswd || return 1
    fi
    for _ca_g in $(preseed_get passwd/user-default-groups 2>/dev/null || echo "audio cdrom dip floppy video plugdev netdev"); do
      in-target usermod -a -G "$_ca_g" "$_ca_user" 2>/dev/null || true
    done
    log "user $_ca_user created"
  fi
}

# configure_apt: sources.list from the mirror/* answers, with d-i's security and updates services.
# Without a mirror (or security_host) answer: the archive this installer was built from (build.sh
# writes ARCHIVE and SECURITY_ARCHIVE, maybe empty, to /etc/ozkit-installer.conf).
configure_apt() {
  _apt_proto=$(preseed_get mirror/protocol 2>/dev/null || echo http)
  _apt_host=$(preseed_get "mirror/$_apt_proto/hostname" 2>/dev/null || true)
  _apt_dir=$(preseed_get "mirror/$_apt_proto/directory" 2>/dev/null || true); [ -n "$_apt_dir" ] || _apt_dir=/debian
  if [ -n "$_apt_host" ]; then _apt_url=$_apt_proto://$_apt_host$_apt_dir; else _apt_url=$(. /etc/ozkit-installer.conf && echo "$ARCHIVE"); fi
  _apt_suite=$(preseed_get mirror/suite 2>/dev/null || true); [ -n "$_apt_suite" ] || _apt_suite=$(. /rootfs/etc/os-release && echo "$VERSION_CODENAME")
  _apt_proxy=$(preseed_get "mirror/$_apt_proto/proxy" 2>/dev/null || true)
  _apt_comp="main non-free-firmware"
  if _apt_sec=$(preseed_get apt-setup/security_host 2>/dev/null); then
    [ -z "$_apt_sec" ] || _apt_sec=http://$_apt_sec/debian-security
  else
    _apt_sec=$(. /etc/ozkit-installer.conf && echo "$SECURITY_ARCHIVE")
  fi
  { echo "deb $_apt_url $_apt_suite $_apt_comp"
    _apt_services=$(preseed_get apt-setup/services-select 2>/dev/null || echo "security, updates")
    case ",$_apt_services," in *security*) [ -n "$_apt_sec" ] && echo "deb $_apt_sec $_apt_suite-security $_apt_comp" ;; esac
    case ",$_apt_services," in *updates*) echo "deb $_apt_url $_apt_suite-updates $_apt_comp" ;; esac
  } >/target/etc/apt/sources.list
  if [ -n "$_apt_proxy" ]; then
    echo "Acquire::$_apt_proto::Proxy \"$_apt_proxy\";" >/target/etc/apt/apt.conf.d/00ozkit-installer-proxy
  fi
  log "apt sources: $(grep -c '^deb ' /target/etc/apt/sources.list) lines for $_apt_url $_apt_suite"
}

# install_packages: apt-get update, pkgsel/include and the ssh-server task, pkgsel/upgrade.
install_packages() {
  _ip_pkgs=$(preseed_get pkgsel/include 2>/dev/null | tr ',' ' ' || true)
  _ip_tasks=$(preseed_get tasksel/first 2>/dev/null | tr ',' ' ' || true)
  for _ip_t in $_ip_tasks; do
    case $_ip_t in
      ssh-server) _ip_pkgs="$_ip_pkgs openssh-server" ;;
      *) log "task '$_ip_t' is not installed by this test installer (its root image is a minimal system)" ;;
    esac
  done
  # Each package once, in the order given.
  _ip_pkgs=$(printf '%s\n' $_ip_pkgs | awk 'NF && !seen[$0]++' | tr '\n' ' ')
  _ip_upgrade=$(preseed_get pkgsel/upgrade 2>/dev/null || echo none)
  if [ -z "$NET_IFACE" ]; then
    _ip_missing=
    for _ip_p in $_ip_pkgs; do in-target dpkg-query -W -f='${Status}' "$_ip_p" 2>/dev/null | grep -q 'ok installed' || _ip_missing="$_ip_missing $_ip_p"; done
    [ -z "$_ip_missing" ] || { log "no network, cannot install:$_ip_missing"; return 1; }
    warn "no network: apt-get update skipped"
    return 0
  fi
  in-target apt-get update -q || warn "apt-get update reported errors (see above)"
  if preseed_true pkgsel/include/install-recommends "$(preseed_get base-installer/install-recommends 2>/dev/null || echo true)"; then
    _ip_rec=--install-recommends
  else
    _ip_rec=--no-install-recommends
  fi
  if [ -n "$_ip_pkgs" ]; then
    log "installing: $_ip_pkgs"
    in-target apt-get install -y -q $_ip_rec -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold $_ip_pkgs || return 1
  fi
  case $_ip_upgrade in
    safe-upgrade) in-target apt-get -y -q upgrade || return 1 ;;
    full-upgrade) in-target apt-get -y -q dist-upgrade || return 1 ;;
  esac
  in-target apt-get clean
}

# install_bootloader DISK: GRUB for BIOS on DISK (or grub-installer/bootdev), then grub.cfg.
install_bootloader() {
  if preseed_true grub-installer/skip false; then log "grub-installer/skip: no boot loader installed"; return 0; fi
  _ib_dev=$(preseed_get grub-installer/bootdev 2>/dev/null || echo default)
  case $_ib_dev in default|'') _ib_dev=$1 ;; esac
  [ -d /sys/firmware/efi ] && warn "booted through EFI, but this test installer installs GRUB for BIOS only"
  in-target grub-install --target=i386-pc "$_ib_dev" || return 1
  echo "grub-pc grub-pc/install_devices multiselect $_ib_dev" | in-target debconf-set-selections
  in-target update-grub || return 1
}
