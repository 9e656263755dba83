# DHCP through busybox udhcpc on the first interface that gets a lease (or the one preseeded in
# netcfg/choose_interface).

network_up() {
  ip link set lo up
  _nu_choice=$(preseed_get netcfg/choose_interface 2>/dev/null || echo auto)
  _nu_tries=0
  while [ $_nu_tries -lt 20 ]; do
    _nu_ifaces=$(ls /sys/class/net 2>/dev/null | grep -v '^lo$' || true)
    [ -n "$_nu_ifaces" ] && break
    sleep 0.5; _nu_tries=$((_nu_tries + 1))
  done
  case $_nu_choice in auto|'') ;; *) _nu_ifaces=$_nu_choice ;; esac
  for _nu_if in $_nu_ifaces; do
    ip link set "$_nu_if" up 2>/dev/null || continue
    if udhcpc -i "$_nu_if" -n -q -f -t 5 -T 2 -s /lib/ozinst/udhcpc.script >/dev/null 2>&1; then
      NET_IFACE=$_nu_if
      log "network: $_nu_if $(ip -4 -o addr show dev "$_nu_if" | awk '{print $4}'), DNS $(awk '/^nameserver/ {printf "%s ", $2}' /etc/resolv.conf)"
      return 0
    fi
  done
  return 1
}

# fetch URL FILE: HTTP download through the root image's perl (needs mount_toolbox), with a
# proxy from mirror/http/proxy.
fetch() {
  _f_proxy=$(preseed_get mirror/http/proxy 2>/dev/null || true)
  toolbox perl -e "$(cat /lib/ozinst/http-get.pl)" "$1" "$_f_proxy" >"$2"
}
