#!/usr/bin/env bash
# Regenerate the ODJ test blobs and their expected values (see README.md).
#
#   tests/data/odj/generate.sh            everything (needs root: ip netns)
#   tests/data/odj/generate.sh --expect   only re-derive *.expect.json with ndrdump
#
# 1. ws2019.odj: the Windows Server 2019 blob that Samba keeps as bytes in
#    source4/torture/ndr/odj.c, taken from Debian's samba source package.
# 2. samba-*.odj: blobs made by a real Samba AD DC. The DC is provisioned with
#    --host-ip=127.0.0.1 and runs inside a fresh network namespace that has
#    only `lo`, so nothing leaves the machine (no DNS forwarder outside).
#    `net offlinejoin provision` then provisions several machine accounts,
#    one of them with machine_account_ou.
# 3. *.expect.json: what Samba's ndrdump decodes from each blob
#    (tests/odj/ndrdump_expect.py), the expected result for the tests.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
ns=ferry-odj-$$
work=$(mktemp -d /tmp/ferry-odj-gen.XXXXXX)
samba_pid=

cleanup() {
	# samba forks; its own pid file names the root process of this instance.
	if [ -f "$work/dc/run/samba.pid" ]; then kill "$(cat "$work/dc/run/samba.pid")" 2>/dev/null || true; fi
	if [ -n "$samba_pid" ]; then kill "$samba_pid" 2>/dev/null || true; wait "$samba_pid" 2>/dev/null || true; fi
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "/etc/netns/$ns"
	rm -rf "$work"
}
trap cleanup EXIT

expect_all() {
	for f in "$here"/*.odj; do
		python3 "$root/tests/odj/ndrdump_expect.py" "$f" >"${f%.odj}.expect.json"
	done
}

if [ "${1:-}" = "--expect" ]; then expect_all; exit 0; fi

# --- 1. the Windows Server 2019 blob from Samba's torture test -------------
(cd "$work" && apt-get source --download-only samba >/dev/null 2>&1)
orig=$(ls "$work"/samba_*.orig.tar.* | head -1)
tar -C "$work" -xf "$orig" --wildcards '*/source4/torture/ndr/odj.c'
python3 - "$work"/samba-*/source4/torture/ndr/odj.c "$here/ws2019.odj" <<'PY'
import base64, re, sys
src = open(sys.argv[1]).read()
m = re.search(r'ODJ_PROVISION_DATA_data\[\]\s*=\s*\{(.*?)\};', src, re.S)
raw = bytes(int(x, 16) for x in re.findall(r'0x([0-9a-fA-F]{2})', m.group(1)))
# Stored the way djoin /savefile writes it: UTF-16LE, BOM, trailing NUL.
text = base64.b64encode(raw).decode('ascii') + '\0'
open(sys.argv[2], 'wb').write(b'\xff\xfe' + text.encode('utf-16-le'))
PY

# --- 2. blobs from a real Samba AD DC in a loopback-only namespace ---------
ip netns add "$ns"
# `ip netns exec` bind-mounts these over /etc/resolv.conf and /etc/hosts, so
# inside the namespace names resolve through the DC's own DNS only.
mkdir -p "/etc/netns/$ns"
echo "nameserver 127.0.0.1" >"/etc/netns/$ns/resolv.conf"
printf '127.0.0.1 localhost\n127.0.0.1 ferrydc.ferry.test ferrydc\n' >"/etc/netns/$ns/hosts"
ip -n "$ns" link set lo up
run() { ip netns exec "$ns" "$@"; }
dc=$work/dc
adminpass='Ferry-Test-Admin-1'
run samba-tool domain provision --targetdir="$dc" --realm=FERRY.TEST --domain=FERRY \
	--server-role=dc --dns-backend=SAMBA_INTERNAL --host-name=ferrydc \
	--host-ip=127.0.0.1 --adminpass="$adminpass" \
	--option="dns forwarder = 127.0.0.1" --option="interfaces = lo" \
	--option="bind interfaces only = yes" >"$work/provision.log" 2>&1 ||
	{ tail -20 "$work/provision.log" >&2; exit 1; }
mkdir -p "$dc/run"
run samba -i -M single -s "$dc/etc/smb.conf" --option="pid directory = $dc/run" >"$work/samba.log" 2>&1 &
samba_pid=$!
for _ in $(seq 1 120); do
	if run bash -c 'exec 3<>/dev/tcp/127.0.0.1/389 && exec 4<>/dev/tcp/127.0.0.1/53' 2>/dev/null; then break; fi
	sleep 1
done

# name | extra options
machines=(
	"FERRYPC01|"
	"FERRY-LAPTOP-7|"
	"ABCDEFGHIJKLMNO|"
	"FERRYOU01|machine_account_ou=OU=Workstations,DC=ferry,DC=test"
)
run samba-tool ou create "OU=Workstations,DC=ferry,DC=test" -H "ldap://127.0.0.1" \
	-U "Administrator%$adminpass" -s "$dc/etc/smb.conf" >/dev/null
for spec in "${machines[@]}"; do
	name=${spec%%|*}
	extra=${spec#*|}
	out=$here/samba-$(echo "$name" | tr 'A-Z' 'a-z').odj
	rm -f "$out"
	# shellcheck disable=SC2086
	run net offlinejoin provision -s "$dc/etc/smb.conf" -S 127.0.0.1 \
		-U "Administrator%$adminpass" domain=FERRY.TEST dcname=ferrydc.ferry.test machine_name="$name" \
		$extra savefile="$out" >"$work/net-$name.log" 2>&1 ||
		{ cat "$work/net-$name.log" >&2; exit 1; }
done

expect_all
echo "generated: $(ls "$here"/*.odj | xargs -n1 basename | tr '\n' ' ')"
