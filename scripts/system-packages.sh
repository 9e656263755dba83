# Sourced by scripts: the package list and a check that says exactly what is missing.
ozkit_packages() {
  sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$(dirname "${BASH_SOURCE[0]}")/system-packages.txt" | awk '{print $1}'
}

# Prints the packages from the list that are not installed.
ozkit_missing_packages() {
  local p
  for p in $(ozkit_packages); do
    dpkg-query -W -f '${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
  done
}

# Installs what is missing when we are root with apt; otherwise names it and fails.
ozkit_ensure_packages() {
  local missing
  missing=$(ozkit_missing_packages | tr '\n' ' ')
  [ -z "${missing// /}" ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing system packages: $missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
  else
    echo "setup: missing system packages: $missing" >&2
    echo "setup: install them with: sudo apt-get install $missing" >&2
    return 69
  fi
}
