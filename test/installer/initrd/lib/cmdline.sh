# Kernel command line → preseed answers, the way d-i's env2debconf reads it: every
# "question/path=value" argument answers that question, and d-i's short aliases
# (file=, url=, hostname=, priority=, …) stand for their full questions.

# cmdline_parse "CMDLINE": prints "question<TAB>value" lines. Double quotes group a value with
# spaces (preseed/late_command="a b"); arguments without "=" and kernel-only ones are skipped.
cmdline_parse() {
  printf '%s\n' "$1" | awk '
    BEGIN {
      alias["auto"] = "auto-install/enable"; alias["file"] = "preseed/file"; alias["url"] = "preseed/url"
      alias["hostname"] = "netcfg/get_hostname"; alias["domain"] = "netcfg/get_domain"
      alias["interface"] = "netcfg/choose_interface"; alias["priority"] = "debconf/priority"
      alias["locale"] = "debian-installer/locale"; alias["language"] = "debian-installer/language"
      alias["country"] = "debian-installer/country"; alias["keymap"] = "keyboard-configuration/xkb-keymap"
      alias["protocol"] = "mirror/protocol"; alias["suite"] = "mirror/suite"
      alias["recommends"] = "base-installer/install-recommends"; alias["tasks"] = "tasksel/first"
      alias["desktop"] = "tasksel/desktop"; alias["modules"] = "anna/choose_modules"
      alias["preseed-md5"] = "preseed/file/checksum"
    }
    function emit(arg,   k, v, eq) {
      eq = index(arg, "="); if (eq == 0) return
      k = substr(arg, 1, eq - 1); v = substr(arg, eq + 1)
      if (k in alias) k = alias[k]
      else if (index(k, "/") == 0) return
      printf "%s\t%s\n", k, v
    }
    {
      line = $0; arg = ""; inq = 0; have = 0
      for (i = 1; i <= length(line); i++) {
        c = substr(line, i, 1)
        if (c == "\"") { inq = !inq; have = 1; continue }
        if (!inq && (c == " " || c == "\t")) { if (have) emit(arg); arg = ""; have = 0; continue }
        arg = arg c; have = 1
      }
      if (have) emit(arg)
    }
  '
}

# cmdline_arg NAME "CMDLINE": the value of a plain kernel argument NAME= (last one wins).
cmdline_arg() {
  printf '%s\n' "$2" | awk -v n="$1" '{ for (i = 1; i <= NF; i++) if (index($i, n "=") == 1) v = substr($i, length(n) + 2) } END { if (v == "") exit 1; print v }'
}
