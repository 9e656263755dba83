#!/usr/bin/env bash
# Regenerates data/debian-installer-questions.json: every debconf question (name and type) the
# udebs inside Debian's d-i netboot initrd define (their var/lib/dpkg/info/*.templates, which d-i
# loads at start-up), with the package version they came from.
# Usage: regenerate-di-questions.sh [INITRD]  (default: package debian-installer-12-netboot-amd64)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
package=debian-installer-12-netboot-amd64
initrd=${1:-/usr/lib/debian-installer/images/12/amd64/text/debian-installer/amd64/initrd.gz}
version=$(dpkg-query -W -f '${Version}' "$package")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && zcat "$initrd" | cpio -id --quiet 'var/lib/dpkg/info/*.templates')
python3 - "$work/var/lib/dpkg/info" "$package" "$version" > "$here/../data/debian-installer-questions.json.tmp" <<'PY'
import json, os, sys
folder, package, version = sys.argv[1:4]
questions, udebs = {}, []
for name in sorted(os.listdir(folder)):
    udebs.append(name[: -len(".templates")])
    template = None
    for line in open(os.path.join(folder, name), encoding="utf-8"):
        if line.startswith("Template:"):
            template = line.split(":", 1)[1].strip()
        elif line.startswith("Type:") and template:
            questions[template] = line.split(":", 1)[1].strip()
            template = None
json.dump({"source": {"package": package, "version": version, "from": "initrd var/lib/dpkg/info/*.templates", "udebs": udebs},
           "questions": dict(sorted(questions.items()))}, sys.stdout, indent=1)
print()
PY
mv "$here/../data/debian-installer-questions.json.tmp" "$here/../data/debian-installer-questions.json"
echo "debian-installer-questions.json: $package $version"
