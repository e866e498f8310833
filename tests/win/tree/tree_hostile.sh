#!/bin/sh
# win.tree_hostile: the state tree (winutil/wu_tree, wu_file) and the service
# started against hostile starting states under Wine. Wine keeps no file
# owners or DACLs and cannot make an NT junction, so this script makes the
# links a hostile user would plant as Unix symlinks (Wine shows them as
# reparse points by name but opens and renames their targets), then runs
# tree_hostile.exe on the folder. What Wine cannot show (another user as
# owner, ACL enforcement, a junction renamed aside) is in test_sec_tree
# (native) and docs/windows-test-plan.md.
#   tree_hostile.sh WINE_RUN PREFIX EXE
set -eu
run=$1 prefix=$2 exe=$3
dir=$(mktemp -d /tmp/ferry-tree-hostile-XXXXXX)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/outside_logs" "$dir/outside" "$dir/logs_case/Ferry" "$dir/pkg_case/state" \
	"$dir/tmp_case/state" "$dir/parent_case/real" "$dir/svc_case/state" \
	"$dir/outside_pkgs/stop-sync-client" "$dir/outside_pkgs/.done"
echo keep >"$dir/outside_logs/keep.txt"
for v in victim2; do echo "$v" >"$dir/outside/$v.txt"; done
# A planted package and a forged completion marker, behind a link.
echo '{"format":1}' >"$dir/outside_pkgs/stop-sync-client/manifest.json"
echo '{"id":"stop-sync-client","exit_code":0}' >"$dir/outside_pkgs/.done/stop-sync-client"
ln -s "$dir/outside_logs" "$dir/logs_case/Ferry/logs"
ln -s "$dir/outside_pkgs" "$dir/pkg_case/state/packages"
ln -s "$dir/outside/victim2.txt" "$dir/tmp_case/state/device-state.json.tmp"
ln -s real "$dir/parent_case/link"
ln -s "$dir/outside_pkgs" "$dir/svc_case/state/packages"
snapshot() { (cd "$dir/outside_pkgs" && find . -type f | sort | xargs cat); }
before=$(snapshot)
"$run" --prefix "$prefix" "$exe" "Z:$(echo "$dir" | tr / '\\')"
# Nothing was written through any link.
[ "$(ls "$dir/outside_logs")" = keep.txt ] || { echo "outside_logs changed"; exit 1; }
[ "$(cat "$dir/outside/victim2.txt")" = victim2 ] || { echo "victim2.txt changed"; exit 1; }
[ "$(snapshot)" = "$before" ] || { echo "outside_pkgs changed"; exit 1; }
echo "tree_hostile: nothing written through a link"
