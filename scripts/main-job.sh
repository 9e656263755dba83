#!/usr/bin/env bash
# The main job: a real, offline image build on the embedded default. Builds (or reuses) the test
# installer ISO, then runs the whole pipeline on examples/debian-12/debian-12.tdl.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/node_modules/.bin:$PATH"
# Two vCPUs help TCG; the JEOS cache makes a re-run skip the install. Both can be overridden.
export OZKIT_CPUS="${OZKIT_CPUS:-2}" OZKIT_CACHE_JEOS="${OZKIT_CACHE_JEOS:-yes}"

# A config naming a local libvirt URI (e.g. OZKIT_CONFIG=examples/oz.cfg: uri = qemu:///system) runs the
# guests through libvirt; on a machine without systemd its daemon is started here.
connect=$(node --input-type=module -e 'import { loadConfig } from "@ozkit/config"; console.log(loadConfig().settings.connect ?? "")')
case "$connect" in
  qemu:///*) echo "main-job: guests run through libvirt at $connect" >&2; bash scripts/start-libvirtd.sh "$connect" ;;
  ?*) echo "main-job: guests run through libvirt at $connect" >&2 ;;
esac

# The Debian archive, never a built-in host: OZKIT_TEST_MIRROR, else OZKIT_DEBIAN_MIRROR / [ozkit]
# debian_mirror, else this machine's apt sources (the same lookup the test installer build makes).
# ks-render's preseed and the example's repository (a mirror.example placeholder) both use it.
mirrors=$(node test/installer/archive-mirror.mjs) || exit $?
archive=${mirrors%%$'\n'*}
export OZKIT_DEBIAN_MIRROR="$archive"
echo "main-job: Debian archive $archive" >&2

echo "main-job: building or reusing the test installer ISO…" >&2
iso=$(npm run --silent test-installer | tail -n 1)
[ -f "$iso" ] || { echo "main-job: the test installer build printed no ISO path" >&2; exit 70; }

workdir="${OZKIT_WORKDIR:-$PWD/build/main-job}"
mkdir -p "$workdir"
doc="$workdir/build.json"
tdl=$workdir/debian-12.tdl
example=$(<examples/debian-12/debian-12.tdl)
printf '%s\n' "${example//'http://mirror.example/debian'/"${archive//'&'/'&amp;'}"}" >"$tdl"
tdl-validate --workdir "$workdir" "$tdl" \
  | ks-render \
  | iso-fetch --iso "$iso" --checksum "sha256:$(sha256sum "$iso" | cut -d" " -f1)" \
  | guest-install \
  | guest-customize --compress --target-cloud openstack --require-cloud-init \
  | image-verify --check 'systemctl is-active nginx' --check 'curl -fsS http://localhost/' \
  | icicle-gen --format cyclonedx --out "$doc"

node --input-type=module - "$doc" <<'JS'
import { readFileSync } from 'node:fs';
const doc = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const image = doc.customize.image;
const mib = (n) => (n / 1048576).toFixed(0) + ' MiB';
const verify = doc.verify;
const t = verify.timings;
const lines = [
  `image:   ${image.path} (${image.format}, ${mib(image.bytesAfter)} on disk, was ${mib(image.bytesBefore)})`,
  `verify:  ${verify.ok ? 'passed' : 'FAILED'} ${verify.checks.filter((c) => c.ok).length}/${verify.checks.length} checks (${verify.metadata}, ${verify.user}@${verify.hostname}); ` +
    `power-on to login prompt ${t.loginPrompt ?? '—'} s, sshd ${t.sshd ?? '—'} s, cloud-init done ${t.cloudInitDone ?? '—'} s`,
  `ICICLE:  ${doc.icicle.xml} (${doc.icicle.packages} packages)`,
  doc.icicle.sbom ? `SBOM:    ${doc.icicle.sbom.path} (${doc.icicle.sbom.format})` : null,
  `build:   ${process.argv[2]}`,
  '',
  // -snapshot: one look must not write host keys, a machine-id and cloud-init state into the image meant for upload.
  'boot it (changes go to a throw-away snapshot):',
  `  qemu-system-x86_64 -snapshot -machine q35 -m 1024 -smp 2 -nographic -drive file=${image.path},format=${image.format},if=virtio -nic user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:2222-:22`,
];
console.log(lines.filter((l) => l !== null).join('\n'));
JS
