#!/usr/bin/env bash
# A throw-away Samba AD DC for the e2e scenarios: target.test by default, or
# any other realm (tests/dir starts source.test and target.test side by side).
#
#   samba_dc.sh start WORKDIR [REALM [ldap-only]]
#                               provision and start it; writes WORKDIR/dc.env
#                               holding NETNS:SMBCONF:ADMINPASS (server.py --samba-dc)
#   samba_dc.sh stop WORKDIR    stop it and delete the namespace
#
# The DC runs inside a fresh network namespace with only `lo` (no DNS
# forwarder outside it), as tests/data/odj/generate.sh does. The forwarder
# is 127.0.0.2, where nothing listens, so an unknown name fails at once:
# forwarding to itself (127.0.0.1) loops, and the single-process DC then
# spends itself on DNS while CLDAP and LDAP queue up. Its pid files
# and sockets live under WORKDIR too: the defaults (/run/samba) are shared by
# every DC on the machine: a second DC's smbd would find the first's pid
# file and exit, and its smbd would authenticate through the other DC's
# winbindd. The namespace's name is derived from WORKDIR's absolute path (a
# fresh temp dir per run) and the realm's first label, so two DCs of one test,
# and DCs of tests running at the same time, never share one; it is kept in
# WORKDIR/netns for `stop`. The host name is dc1.<realm>; LDAPS on 636 uses
# the certificate Samba generates (its CA: WORKDIR/dc/private/tls/ca.pem).
# `ldap-only` starts the DC without its DNS server and with ldb:nosync (a
# throw-away directory needs no fsync; loading thousands of entries is
# I/O-bound otherwise): tests/dir uses it. Exit 77 with a
# SKIP line when Samba or network namespaces are not available here.
set -euo pipefail
cmd=${1:?start|stop}
work=${2:?WORKDIR}
realm=$(echo "${3:-target.test}" | tr 'A-Z' 'a-z')
label=${realm%%.*}
if [ -f "$work/netns" ]; then
	ns=$(cat "$work/netns")
else
	ns=ferry-$label-$(printf '%s' "$(cd "$(dirname "$work")" 2>/dev/null && pwd)/$(basename "$work")" | md5sum | cut -c1-10)
fi
dc=$work/dc
adminpass='Ferry-E2E-Admin-1'

stop() {
	if [ -f "$dc/run/samba.pid" ]; then kill "$(cat "$dc/run/samba.pid")" 2>/dev/null || true; fi
	if [ -f "$work/samba.pid" ]; then kill "$(cat "$work/samba.pid")" 2>/dev/null || true; fi
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "/etc/netns/$ns"
}

if [ "$cmd" = stop ]; then stop; exit 0; fi

for tool in samba samba-tool net ip; do
	command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed (apt-get install samba)"; exit 77; }
done
mkdir -p "$work"
if ! ip netns add "$ns" 2>"$work/netns.err"; then
	echo "SKIP: cannot create a network namespace here ($(head -1 "$work/netns.err")); the DC needs one"
	exit 77
fi
echo "$ns" >"$work/netns"
mkdir -p "/etc/netns/$ns"
echo "nameserver 127.0.0.1" >"/etc/netns/$ns/resolv.conf"
printf '127.0.0.1 localhost\n127.0.0.1 dc1.%s dc1\n' "$realm" >"/etc/netns/$ns/hosts"
ip -n "$ns" link set lo up
run() { ip netns exec "$ns" "$@"; }
netbios=$(echo "$label" | tr 'a-z' 'A-Z')
if ! run samba-tool domain provision --targetdir="$dc" --realm="${realm^^}" --domain="$netbios" \
	--server-role=dc --dns-backend=SAMBA_INTERNAL --host-name=dc1 --host-ip=127.0.0.1 \
	--adminpass="$adminpass" --option="dns forwarder = 127.0.0.2" --option="interfaces = lo" \
	--option="bind interfaces only = yes" --option="pid directory = $dc/run" \
	--option="ncalrpc dir = $dc/ncalrpc" \
	>"$work/provision.log" 2>&1; then
	tail -5 "$work/provision.log" >&2
	stop
	echo "FAIL: samba-tool domain provision failed (see above)"
	exit 1
fi
mkdir -p "$dc/run"
# smbd reaches winbindd through libwbclient at the compiled-in
# /run/samba/winbindd, whatever smb.conf says: the DC gets its own mount
# namespace with a private /run/samba, so it never talks to another DC's
# winbindd (nor another's to it).
mkdir -p "$dc/run-samba"
services=()
if [ "${4:-}" = ldap-only ]; then services=(--option="server services = -dns" --option="ldb:nosync = true"); fi
run unshare -m sh -c 'mount --make-rprivate / && mount --bind "$1" /run/samba && shift && exec "$@"' \
	sh "$dc/run-samba" samba -M single -s "$dc/etc/smb.conf" --option="pid directory = $dc/run" \
	"${services[@]}" >"$work/samba.log" 2>&1 </dev/null &
echo $! >"$work/samba.pid"
for _ in $(seq 1 240); do
	if run bash -c 'exec 3<>/dev/tcp/127.0.0.1/389 && exec 4<>/dev/tcp/127.0.0.1/445' 2>/dev/null; then
		echo "$ns:$dc/etc/smb.conf:$adminpass" >"$work/dc.env"
		echo "samba DC $realm up in namespace $ns"
		exit 0
	fi
	sleep 1
done
tail -5 "$work/samba.log" >&2
stop
echo "FAIL: samba did not listen on 389/445 within 240 s (its log above)"
exit 1
