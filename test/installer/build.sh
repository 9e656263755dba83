#!/bin/bash
# Builds (or finds cached) the ozkit TEST installer ISO: Debian-netinst layout, a busybox initrd
# of our own that installs Debian 12 from a root image carried on the ISO. Not debian-installer.
# Prints the ISO's absolute path as its last line. Run as root for a cold build (debootstrap).
#
#   bash test/installer/build.sh            # or: npm run --silent test-installer
#   OZKIT_TEST_CACHE=/var/cache/x bash test/installer/build.sh
#
# Environment: OZKIT_TEST_CACHE (cache root), OZKIT_TEST_SUITE (default bookworm),
# OZKIT_TEST_MIRROR (the Debian archive; default OZKIT_DEBIAN_MIRROR / [ozkit] debian_mirror, else
# the host's apt sources), OZKIT_TEST_SECURITY_MIRROR (default the host's security archive).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
suite=${OZKIT_TEST_SUITE:-bookworm}
cache_root=${OZKIT_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ozkit-test}
area=$cache_root/installer

say() { printf 'test-installer: %s\n' "$*" >&2; }
die() { local code=$1; shift; say "$*"; exit "$code"; }

case ${1:-} in
  --help|-h) sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; echo "Options: --key (print the cache key and exit)"; exit 0 ;;
  ''|--key) ;;
  *) die 64 "unknown argument: $1 (try --help)" ;;
esac

# The archive (and security archive) to debootstrap from and to default the installed system's
# apt sources to; archive-mirror.mjs says what to set when there is none.
command -v node >/dev/null || die 69 "node (>= 20.19) is needed to find the Debian archive mirror"
mirrors=$(node "$here/archive-mirror.mjs") || exit $?
{ read -r mirror; read -r security || true; } <<<"$mirrors"
for url in "$mirror" "$security"; do
  [[ -z $url || $url =~ ^https?://[A-Za-z0-9._~:/%@+=,-]+$ ]] || die 64 "archive mirror \"$url\" is not a plain http(s) URL (OZKIT_TEST_MIRROR / OZKIT_TEST_SECURITY_MIRROR)"
done

# ---- what the build needs, by Debian package (exit 69 names the missing ones)
missing=()
need() { local pkg=$1; shift; for f in "$@"; do
  if [[ $f == /* ]]; then [ -e "$f" ] && continue; else command -v "$f" >/dev/null 2>&1 && continue; fi
  missing+=("$pkg"); return; done; }
need debootstrap debootstrap
need squashfs-tools mksquashfs unsquashfs
need xorriso xorriso
need busybox-static busybox
need isolinux /usr/lib/ISOLINUX/isolinux.bin /usr/lib/ISOLINUX/isohdpfx.bin
need syslinux-common /usr/lib/syslinux/modules/bios/ldlinux.c32 /usr/lib/syslinux/modules/bios/vesamenu.c32
need grub-common grub-mkstandalone
need grub-efi-amd64-bin /usr/lib/grub/x86_64-efi/linux.mod
need dosfstools mkfs.vfat
need mtools mcopy mmd
need kmod depmod modprobe
need util-linux flock
need gzip gzip
if command -v busybox >/dev/null && ldd "$(command -v busybox)" >/dev/null 2>&1; then missing+=(busybox-static); fi

# ---- cache keys: the tree depends on its script + suite + mirror; the ISO on everything here
tree_key=$( { cat "$here/build-rootfs.sh"; echo "$suite $mirror"; } | sha256sum | cut -c1-16)
iso_key=$( { cd "$here" && find build.sh build-rootfs.sh initrd -type f | LC_ALL=C sort | xargs sha256sum; echo "$suite $mirror $security"; } | sha256sum | cut -c1-16)
out=$area/$iso_key

# A hit stamps the entry as used: pruning spares entries other runs used lately.
cached_iso() { local f; for f in "$out"/*.iso; do [ -f "$f" ] && { touch "$out/last-used" 2>/dev/null || true; echo "$f"; return 0; }; done; return 1; }

if [ "${1:-}" = --key ]; then echo "$iso_key"; exit 0; fi   # e.g. a CI cache key

if iso=$(cached_iso); then say "cached: $out"; echo "$iso"; exit 0; fi

[ ${#missing[@]} -eq 0 ] || die 69 "missing programs; install them with: apt-get install $(printf '%s\n' "${missing[@]}" | sort -u | paste -sd ' ')"
[ "$(id -u)" = 0 ] || die 69 "a cold build needs root (debootstrap, mknod); run it as root or point OZKIT_TEST_CACHE at a cache that has $iso_key"

mkdir -p "$area"
exec 9>"$area/.lock"
if ! flock -n 9; then say "another build holds $area/.lock; waiting"; flock 9; fi
# The other build may have just made it.
if iso=$(cached_iso); then say "cached: $out"; echo "$iso"; exit 0; fi

work=$(mktemp -d "$area/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
started=$(date +%s)

# One cached installer at a time (disk is shared): an older ISO goes unless a process has it
# open (a QEMU booting it) or a run used it in the last OZKIT_TEST_KEEP_MINUTES (default 45) —
# the checkout is shared, so another engineer's edit changes the key under a running test.
# Old trees and dead temp dirs go at once (they are only used under the lock).
keep_minutes=${OZKIT_TEST_KEEP_MINUTES:-45}
for old in "$area"/* "$area"/.build.*; do
  [ -e "$old" ] || continue
  case $old in "$work"|"$area/tree-$tree_key") continue ;; esac
  case ${old##*/} in
    tree-*|.build.*) ;;
    *)
      if [ -n "$(find /proc/[0-9]*/fd -lname "$old/*" -print -quit 2>/dev/null)" ]; then
        say "keeping $old (open by a running process)"; continue
      fi
      if [ -n "$(find "$old" -maxdepth 1 \( -name last-used -o -name '*.iso' \) -newermt "-$keep_minutes minutes" -print -quit)" ]; then
        say "keeping $old (used in the last $keep_minutes minutes)"; continue
      fi ;;
  esac
  say "removing old cache entry $old"; rm -rf "$old"
done

tree=$area/tree-$tree_key
if [ ! -f "$tree/rootfs.squashfs" ]; then
  bash "$here/build-rootfs.sh" "$suite" "$mirror" "$tree" || die 69 "building the Debian root image failed"
fi
kver=$(cat "$tree/kernel-version")
debver=$(cat "$tree/debian-version")
case $debver in *.*) release=$debver.0 ;; *) release=$debver ;; esac
volid="Debian $release amd64 n"
codename=$suite; case $suite in bookworm) codename=Bookworm ;; esac

# ---- initrd: busybox, our init, the kernel modules an install needs (and their dependencies)
say "initrd for kernel $kver"
ird=$work/initrd
mkdir -p "$ird"/{bin,sbin,dev,etc,proc,sys,run,tmp,cdrom,target,rootfs,usr/bin,usr/sbin,lib/ozinst}
cp "$(command -v busybox)" "$ird/bin/busybox"
ln -s busybox "$ird/bin/sh"
cp "$here/initrd/init" "$ird/init"
cp "$here"/initrd/lib/*.sh "$here/initrd/lib/udhcpc.script" "$here/initrd/lib/http-get.pl" "$ird/lib/ozinst/"
cp "$here/initrd/lib/in-target" "$ird/usr/bin/in-target"
chmod 755 "$ird/init" "$ird/usr/bin/in-target" "$ird/lib/ozinst/udhcpc.script"
mknod -m 600 "$ird/dev/console" c 5 1
mknod -m 666 "$ird/dev/null" c 1 3
echo "$iso_key" >"$ird/etc/ozkit-installer-version"
printf 'SUITE=%s\nARCHIVE=%s\nSECURITY_ARCHIVE=%s\n' "$suite" "$mirror" "$security" >"$ird/etc/ozkit-installer.conf"

modpath=$(cat "$tree/modules-path")
mods=$work/modroot
unsquashfs -q -n -f -d "$mods" "$tree/rootfs.squashfs" "$modpath/modules.dep" "$modpath/modules.dep.bin" \
  "$modpath/modules.alias.bin" "$modpath/modules.symbols.bin" "$modpath/modules.builtin" "$modpath/modules.builtin.bin" \
  "$modpath/modules.builtin.modinfo" "$modpath/modules.order" "$modpath/modules.softdep" >/dev/null
# The initrd's init loads exactly this list (INSTALLER_MODULES); resolve it against the image's modules.dep.
wanted=$(sed -n '/^INSTALLER_MODULES="/,/"$/p' "$here/initrd/lib/hardware.sh" | tr -d '"' | sed 's/^INSTALLER_MODULES=//')
modfiles=()
# The dependency closure, from modules.dep (modprobe --show-depends insists on the files existing).
list=$(awk -v want="$wanted crc32c_generic" '
  function norm(p) { sub(/.*\//, "", p); sub(/\.ko.*$/, "", p); gsub(/-/, "_", p); return p }
  FILENAME ~ /modules\.builtin$/ { builtin[norm($0)] = 1; next }
  { split($0, a, ":"); n = norm(a[1]); file[n] = a[1]; deps[n] = a[2] }
  function add(n,   i, k, d) {
    if (n in done || n in builtin) return
    done[n] = 1
    if (!(n in file)) { missing = missing " " n; return }
    print file[n]
    k = split(deps[n], d, " "); for (i = 1; i <= k; i++) add(norm(d[i]))
  }
  END { k = split(want, w, /[ \n]+/); for (i = 1; i <= k; i++) if (w[i] != "") add(w[i])
        if (missing != "") { print "not in this kernel:" missing > "/dev/stderr"; exit 1 } }
' "$mods/$modpath/modules.builtin" "$mods/$modpath/modules.dep") || die 70 "kernel $kver lacks modules the installer needs"
mapfile -t modfiles < <(printf '%s\n' $list | sed "s|^|$modpath/|" | sort -u)
unsquashfs -q -n -f -d "$mods" "$tree/rootfs.squashfs" "${modfiles[@]}" >/dev/null
mkdir -p "$ird/lib/modules/$kver"
for f in "${modfiles[@]}"; do
  rel=${f#"$modpath"/}
  mkdir -p "$ird/lib/modules/$kver/$(dirname "$rel")"
  cp "$mods/$f" "$ird/lib/modules/$kver/$rel"
done
cp "$mods/$modpath"/modules.{order,builtin,builtin.modinfo} "$ird/lib/modules/$kver/"
depmod -b "$ird" "$kver"
say "initrd: ${#modfiles[@]} modules"

iso_tree=$work/iso
mkdir -p "$iso_tree"/{install.amd,isolinux,boot/grub,.disk/id}
(cd "$ird" && find . | LC_ALL=C sort | busybox cpio -o -H newc 2>/dev/null) | gzip -9 >"$iso_tree/install.amd/initrd.gz"
cp "$tree/vmlinuz" "$iso_tree/install.amd/vmlinuz"

# ---- BIOS boot: isolinux with netinst's file set, labels and append lines
cp /usr/lib/ISOLINUX/isolinux.bin "$iso_tree/isolinux/"
for c32 in ldlinux vesamenu libcom32 libutil; do cp "/usr/lib/syslinux/modules/bios/$c32.c32" "$iso_tree/isolinux/"; done
cat >"$iso_tree/isolinux/isolinux.cfg" <<'CFG'
# D-I config version 2.0
# search path for the c32 support libraries (libcom32, libutil etc.)
path 
include menu.cfg
default vesamenu.c32
prompt 0
timeout 0
CFG
cat >"$iso_tree/isolinux/menu.cfg" <<'CFG'
menu hshift 4
menu width 70

menu title Debian GNU/Linux installer menu (BIOS mode) - ozkit test installer
include stdmenu.cfg
include txt.cfg
menu begin advanced
    menu label ^Advanced options
	menu title Advanced options
	include stdmenu.cfg
	label mainmenu
		menu label ^Back..
		menu exit
	include adtxt.cfg
menu end
CFG
cat >"$iso_tree/isolinux/stdmenu.cfg" <<'CFG'
menu color title	* #FFFFFFFF *
menu color border	* #00000000 #00000000 none
menu color sel		* #ffffffff #76a1d0ff *
menu color hotsel	1;7;37;40 #ffffffff #76a1d0ff *
menu color tabmsg	* #ffffffff #00000000 *
menu color help		37;40 #ffdddd00 #00000000 none
menu vshift 8
menu rows 12
menu tabmsgrow 18
menu tabmsg Press ENTER to boot or TAB to edit a menu entry
CFG
cat >"$iso_tree/isolinux/txt.cfg" <<'CFG'
default install
label install
	menu label ^Install
	kernel /install.amd/vmlinuz
	append vga=788 initrd=/install.amd/initrd.gz --- quiet 
CFG
cat >"$iso_tree/isolinux/adtxt.cfg" <<'CFG'
label expert
	menu label E^xpert install
	kernel /install.amd/vmlinuz
	append priority=low vga=788 initrd=/install.amd/initrd.gz --- 
label auto
	menu label ^Automated install
	kernel /install.amd/vmlinuz
	append auto=true priority=critical vga=788 initrd=/install.amd/initrd.gz --- quiet 
CFG

# ---- EFI boot: a standalone GRUB in a FAT image that finds this ISO and reads boot/grub/grub.cfg
cat >"$iso_tree/boot/grub/grub.cfg" <<'CFG'
set menu_color_normal=cyan/blue
set menu_color_highlight=white/blue
insmod all_video
menuentry --hotkey=i 'Install' {
    set background_color=black
    linux    /install.amd/vmlinuz vga=788 --- quiet
    initrd   /install.amd/initrd.gz
}
submenu --hotkey=a 'Advanced options ...' {
    set menu_color_normal=cyan/blue
    set menu_color_highlight=white/blue
    menuentry '... Expert install' {
        set background_color=black
        linux    /install.amd/vmlinuz priority=low vga=788 ---
        initrd   /install.amd/initrd.gz
    }
    menuentry --hotkey=a '... Automated install' {
        set background_color=black
        linux    /install.amd/vmlinuz auto=true priority=critical vga=788 --- quiet
        initrd   /install.amd/initrd.gz
    }
}
CFG
disk_id=ozkit-$iso_key
: >"$iso_tree/.disk/id/$disk_id"
cat >"$work/efi-embedded.cfg" <<CFG
search --no-floppy --set=root --file /.disk/id/$disk_id
configfile (\$root)/boot/grub/grub.cfg
CFG
# Modules stay in the image's memdisk (the prefix is left there); the ISO has none of its own.
grub_modules="linux normal iso9660 search search_fs_file configfile echo test all_video part_msdos part_gpt fat gzio"
grub-mkstandalone -O x86_64-efi -o "$work/bootx64.efi" \
  --install-modules="$grub_modules" --modules="$grub_modules" --locales= --fonts= \
  "boot/grub/grub.cfg=$work/efi-embedded.cfg"
efi_kib=$(( $(stat -c %s "$work/bootx64.efi") / 1024 + 256 ))
mkfs.vfat -C -n EFI "$iso_tree/boot/grub/efi.img" "$efi_kib" >/dev/null
mmd -i "$iso_tree/boot/grub/efi.img" ::/EFI ::/EFI/boot
mcopy -i "$iso_tree/boot/grub/efi.img" "$work/bootx64.efi" ::/EFI/boot/bootx64.efi

# ---- Debian's disc metadata, labelled honestly
echo "Debian GNU/Linux $release \"$codename\" - Unofficial amd64 NETINST (ozkit test installer $iso_key) $(date -u +%Y%m%d-%H:%M)" >"$iso_tree/.disk/info"
echo "not_complete" >"$iso_tree/.disk/cd_type"
: >"$iso_tree/.disk/base_installable"
cat >"$iso_tree/README.txt" <<TXT
ozkit test installer — NOT the Debian installer.
Debian $release ($suite) root image + a busybox initrd that reads a d-i preseed
(file=/cdrom/..., preseed/file=, preseed/url=, /preseed.cfg in the initrd), partitions
the first disk, copies the system, installs GRUB and powers off or reboots.
Built by test/installer/build.sh in the ozkit repository.
TXT

xorriso_args=(-as mkisofs -r -V "$volid" -J -joliet-long -cache-inodes
  -isohybrid-mbr /usr/lib/ISOLINUX/isohdpfx.bin
  -b isolinux/isolinux.bin -c isolinux/boot.cat -boot-load-size 4 -boot-info-table -no-emul-boot
  -eltorito-alt-boot -e boot/grub/efi.img -no-emul-boot -isohybrid-gpt-basdat)
echo "xorriso ${xorriso_args[*]}" >"$iso_tree/.disk/mkisofs"
(cd "$iso_tree" && find . -type f ! -name md5sum.txt -print0 | LC_ALL=C sort -z | xargs -0 md5sum) >"$iso_tree/md5sum.txt"
md5sum "$tree/rootfs.squashfs" | sed "s|  .*|  ./ozkit-installer/rootfs.squashfs|" >>"$iso_tree/md5sum.txt"

name=debian-$release-amd64-ozkit-test-installer.iso
mkdir -p "$work/out"
say "writing $name"
xorriso "${xorriso_args[@]}" -o "$work/out/$name" -graft-points "$iso_tree" \
  "/ozkit-installer/rootfs.squashfs=$tree/rootfs.squashfs" 2>"$work/xorriso.log" \
  || { cat "$work/xorriso.log" >&2; die 70 "xorriso failed"; }
cat >"$work/out/build-info.txt" <<INFO
key=$iso_key
tree_key=$tree_key
suite=$suite
mirror=$mirror
security=$security
debian_version=$debver
kernel=$kver
volume_id=$volid
built=$(date -u +%FT%TZ)
seconds=$(( $(date +%s) - started ))
INFO
rm -rf "$out"
mv "$work/out" "$out"
say "built in $(( $(date +%s) - started )) s: $out/$name ($(( $(stat -c %s "$out/$name") / 1048576 )) MiB)"
echo "$out/$name"
