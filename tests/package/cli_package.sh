#!/bin/sh
# `ferry package keygen|sign|verify|pack` end to end: a signed package verifies;
# a tampered file, a tampered manifest, another key, or a package moved to
# another folder name is refused (exit 2); garbage is malformed (exit 3).
#   cli_package.sh FERRY
set -eu
ferry=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

expect() { # expect CODE CMD...
  want=$1; shift
  set +e; "$@" >"$tmp/out" 2>"$tmp/err"; got=$?; set -e
  if [ "$got" -ne "$want" ]; then
    echo "FAIL: exit $got, wanted $want: $*"; cat "$tmp/out" "$tmp/err"; exit 1
  fi
}

expect 0 "$ferry" package keygen --out "$tmp/admin"
expect 1 "$ferry" package keygen --out "$tmp/admin"          # never overwrites a key
expect 0 "$ferry" package keygen --out "$tmp/other"
mkdir -p "$tmp/pkgs/hello/bin"
printf '@echo off\r\necho hello\r\n' >"$tmp/pkgs/hello/bin/run.cmd"
expect 0 "$ferry" package sign --key "$tmp/admin.key" --id hello --command 'cmd.exe /c bin\run.cmd' \
  --timeout 30 "$tmp/pkgs/hello" bin/run.cmd
expect 0 "$ferry" package verify --pub "$tmp/admin.pub" "$tmp/pkgs/hello"
grep -q '^ok: hello: 1 file(s), timeout 30 s' "$tmp/out"
expect 2 "$ferry" package verify --pub "$tmp/other.pub" "$tmp/pkgs/hello"

# pack: the one-blob form and its signed-list entry (sha256 and size of the blob).
expect 0 "$ferry" package pack --pub "$tmp/admin.pub" "$tmp/pkgs/hello" "$tmp/hello.pkg"
size=$(wc -c <"$tmp/hello.pkg" | tr -d ' ')
sum=$(sha256sum "$tmp/hello.pkg" | cut -d' ' -f1)
grep -q "^{\"id\":\"hello\",\"sha256\":\"$sum\",\"size\":$size}\$" "$tmp/out"
[ "$(head -c 8 "$tmp/hello.pkg")" = FERRYPKG ] || { echo "FAIL: no FERRYPKG header"; exit 1; }
expect 2 "$ferry" package pack --pub "$tmp/other.pub" "$tmp/pkgs/hello" "$tmp/x.pkg"   # unsigned: no blob
[ ! -e "$tmp/x.pkg" ] || { echo "FAIL: pack wrote a blob of a refused folder"; exit 1; }

cp -r "$tmp/pkgs/hello" "$tmp/pkgs/renamed"                # replay under another id
expect 2 "$ferry" package verify --pub "$tmp/admin.pub" "$tmp/pkgs/renamed"

printf 'echo evil\r\n' >>"$tmp/pkgs/hello/bin/run.cmd"     # tampered file
expect 2 "$ferry" package verify --pub "$tmp/admin.pub" "$tmp/pkgs/hello"
grep -q 'bin/run.cmd' "$tmp/err"

cp -r "$tmp/pkgs/renamed" "$tmp/pkgs/hello2"
sed 's/"timeout_seconds":\s*30/"timeout_seconds": 31/' "$tmp/pkgs/renamed/manifest.json" >"$tmp/pkgs/hello2/manifest.json"
cmp -s "$tmp/pkgs/renamed/manifest.json" "$tmp/pkgs/hello2/manifest.json" && { echo "FAIL: sed did not edit"; exit 1; }
expect 2 "$ferry" package verify --pub "$tmp/admin.pub" "$tmp/pkgs/hello2"   # tampered manifest

printf 'not a key' >"$tmp/bad.pub"
expect 3 "$ferry" package verify --pub "$tmp/bad.pub" "$tmp/pkgs/renamed"
expect 64 "$ferry" package frobnicate
echo "ok: package CLI"
