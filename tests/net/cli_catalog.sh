#!/bin/sh
# `ferry catalog` and `ferry assignment` (protocol v2) through the CLI: the
# admin signs a catalog, the server signs an assignment under it, an agent
# verifies; then each refusal exits 2 with its reason.
#   cli_catalog.sh FERRY SOURCE_DIR
set -eu
ferry=$1
src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
now=2026-01-01T00:00:00Z
fail() { echo "FAIL: $*"; exit 1; }
expect() { # CODE PATTERN CMD...: exit code and a stderr pattern
	want=$1 pat=$2; shift 2
	set +e; "$@" >"$work/out" 2>"$work/err"; got=$?; set -e
	[ "$got" = "$want" ] || fail "$* exited $got, not $want: $(cat "$work/err")"
	grep -q -- "$pat" "$work/err" "$work/out" || fail "$*: no '$pat' in: $(cat "$work/err" "$work/out")"
}

admin_pub=$("$ferry" bundle keygen --out "$work/admin.key")
server_pub=$("$ferry" bundle keygen --out "$work/server.key")
sed "s|SERVERKEY|$server_pub|" "$src/tests/data/catalog/payload.json" >"$work/catalog.payload.json"
"$ferry" catalog sign --key "$work/admin.key" --now $now "$work/catalog.payload.json" --out "$work/catalog.json"
"$ferry" catalog verify --key "$admin_pub" --now $now "$work/catalog.json" >"$work/cv" || fail "catalog verify"
digest=$(sed -n 's/.*payload sha256 \([0-9a-f]*\),.*/\1/p' "$work/cv")
[ ${#digest} = 64 ] || fail "no digest in: $(cat "$work/cv")"
sed "s|\"0000000000000000000000000000000000000000000000000000000000000000\"|\"$digest\"|" \
	"$src/tests/data/assignment/payload.json" >"$work/a.payload.json"
"$ferry" assignment sign --key "$work/server.key" --catalog "$work/catalog.json" \
	--admin-key "$admin_pub" --now $now "$work/a.payload.json" --out "$work/a.json"
expect 0 "wave wave-3, 2 runbooks, 1 identity-map rows" "$ferry" assignment verify \
	--catalog "$work/catalog.json" --admin-key "$admin_pub" --agent agent --now $now "$work/a.json"

# Refusals.
expect 2 "another agent" "$ferry" assignment verify --catalog "$work/catalog.json" \
	--admin-key "$admin_pub" --agent other --now $now "$work/a.json"
expect 2 "expired" "$ferry" assignment verify --catalog "$work/catalog.json" \
	--admin-key "$admin_pub" --agent agent --now 2029-06-01T00:00:00Z "$work/a.json"
expect 2 "does not verify" "$ferry" catalog verify --key "$server_pub" --now $now "$work/catalog.json"
expect 2 "not the catalog's assignment_key" "$ferry" assignment sign --key "$work/admin.key" \
	--catalog "$work/catalog.json" --admin-key "$admin_pub" --now $now "$work/a.payload.json"
sed 's/"wave-3"/"wave-4"/' "$work/a.json" >"$work/tampered.json"
expect 2 "does not verify" "$ferry" assignment verify --catalog "$work/catalog.json" \
	--admin-key "$admin_pub" --agent agent --now $now "$work/tampered.json"
sed 's/"runbook": "migration"/"runbook": "wipe-disk"/' "$work/a.payload.json" >"$work/evil.payload.json"
expect 2 "unknown runbook 'wipe-disk'" "$ferry" assignment sign --key "$work/server.key" \
	--catalog "$work/catalog.json" --admin-key "$admin_pub" --now $now "$work/evil.payload.json"
# A catalog envelope is never an assignment (domain separation).
expect 3 "ferry_assignment is not 1" "$ferry" assignment verify --catalog "$work/catalog.json" \
	--admin-key "$admin_pub" --agent agent --now $now "$work/catalog.json"
sed 's/"ferry_catalog"/"ferry_assignment"/' "$work/catalog.json" >"$work/as-assignment.json"
expect 2 "does not verify" "$ferry" assignment verify --catalog "$work/catalog.json" \
	--admin-key "$admin_pub" --agent agent --now $now "$work/as-assignment.json"
echo "catalog/assignment CLI: all checks passed"
