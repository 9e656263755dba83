# Preseed (debconf-set-selections) reading for the ozkit test installer. POSIX sh + awk, so it
# runs under the initrd's busybox and under busybox/dash on a host for the unit tests.
#
# The answers live in one file, $PRESEED_DB, one "question<TAB>type<TAB>value" line per answer;
# later lines win, as a later debconf-set-selections run would.

: "${PRESEED_DB:=/run/preseed.db}"

# preseed_parse FILE: prints FILE's answers as "question<TAB>type<TAB>value" lines.
# Follows debconf-set-selections: "owner question type value"; a trailing backslash joins the
# next line; blank lines and lines starting with # are skipped; the owner is not kept (d-i
# answers a question whatever its owner). A malformed line is reported on stderr and skipped.
preseed_parse() {
  awk '
    function flush(   line, owner, q, t, v, rest) {
      line = pending; pending = ""
      sub(/\r$/, "", line)
      if (line ~ /^[ \t]*$/ || line ~ /^[ \t]*#/) return
      sub(/^[ \t]+/, "", line)
      owner = line; sub(/[ \t].*$/, "", owner); rest = substr(line, length(owner) + 1)
      sub(/^[ \t]+/, "", rest); q = rest; sub(/[ \t].*$/, "", q); rest = substr(rest, length(q) + 1)
      sub(/^[ \t]+/, "", rest); t = rest; sub(/[ \t].*$/, "", t); rest = substr(rest, length(t) + 1)
      if (q == "" || t == "") {
        printf "preseed: %s:%d: not \"owner question type value\": %s\n", FILENAME, startline, line > "/dev/stderr"
        return
      }
      # Blanks around the value are not data (a continued "string \" line starts with indentation).
      sub(/^[ \t]+/, "", rest); sub(/[ \t]+$/, "", rest)
      gsub(/\t/, " ", rest)
      printf "%s\t%s\t%s\n", q, t, rest
    }
    {
      sub(/\r$/, "")
      if (pending == "") startline = FNR
      if ($0 ~ /\\$/) { pending = pending substr($0, 1, length($0) - 1); next }
      pending = pending $0
      flush()
    }
    END { if (pending != "") flush() }
  ' "$1"
}

# preseed_load FILE: adds FILE's answers to the database, then any files it names in
# preseed/include (relative to FILE's directory, as d-i resolves them).
preseed_load() {
  _pl_file=$1
  _pl_before=$(preseed_get preseed/include 2>/dev/null || true)
  preseed_parse "$_pl_file" >>"$PRESEED_DB" || return 1
  _pl_after=$(preseed_get preseed/include 2>/dev/null || true)
  if [ -n "$_pl_after" ] && [ "$_pl_after" != "$_pl_before" ]; then
    _pl_dir=$(dirname "$_pl_file")
    for _pl_inc in $_pl_after; do
      case $_pl_inc in /*) ;; *) _pl_inc=$_pl_dir/$_pl_inc ;; esac
      [ -r "$_pl_inc" ] || { echo "preseed: $_pl_file: preseed/include names $_pl_inc, which does not exist" >&2; return 1; }
      preseed_load "$_pl_inc" || return 1
    done
  fi
}

# preseed_set QUESTION VALUE [TYPE]
preseed_set() {
  printf '%s\t%s\t%s\n' "$1" "${3:-string}" "$2" >>"$PRESEED_DB"
}

# preseed_get QUESTION: prints the answer; status 1 when the question was never answered.
preseed_get() {
  [ -f "$PRESEED_DB" ] || return 1
  awk -F '\t' -v q="$1" '$1 == q { v = $3; for (i = 4; i <= NF; i++) v = v "\t" $i; found = 1 } END { if (found) print v; exit !found }' "$PRESEED_DB"
}

# preseed_true QUESTION [DEFAULT]: status 0 when the boolean answer is true (DEFAULT when unanswered).
preseed_true() {
  _pt=$(preseed_get "$1" 2>/dev/null) || _pt=${2:-false}
  case $_pt in true|yes|1) return 0 ;; *) return 1 ;; esac
}

# preseed_questions: every answered question once, in first-seen order.
preseed_questions() {
  [ -f "$PRESEED_DB" ] || return 0
  awk -F '\t' '!seen[$1]++ { print $1 }' "$PRESEED_DB"
}
