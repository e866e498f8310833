#!/bin/sh
# The QR matrix decodes back to its URL with an independent decoder:
# zbarimg (Debian's zbar-tools). Usage: qr_zbar.sh QR_PGM_TOOL
set -u
tool=$1
if ! command -v zbarimg >/dev/null 2>&1; then
  echo "SKIP: zbarimg not installed (apt-get install zbar-tools)"
  exit 77
fi
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
fail=0
n=0
# Short, typical, query-heavy, and the longest accepted (512 bytes, version 18).
long="https://helpdesk.example.org/$(printf '%0483d' 0)"
for url in "https://example.com" \
           "https://aka.example/ferry-help?dev=PC-0042&ticket=INC%2012345" \
           "http://10.0.0.1:8080/a/b/c;p=1#frag~x_y" \
           "$long"; do
  n=$((n + 1))
  for scale in 2 4; do
    "$tool" "$url" "$scale" "$dir/q.pgm" || { echo "FAIL: qr_pgm for case $n"; fail=1; continue; }
    # stderr apart: zbarimg chats about D-Bus where there is none.
    got=$(zbarimg --raw -q "$dir/q.pgm" 2>"$dir/err")
    if [ "$got" != "$url" ]; then
      echo "FAIL: case $n at scale $scale: decoded '$got', want '$url'"
      cat "$dir/err"
      fail=1
    fi
  done
done
[ ${#long} -eq 512 ] || { echo "FAIL: long URL is ${#long} bytes, want 512"; fail=1; }
[ $fail -eq 0 ] && echo "ok: $n URLs at scales 2 and 4 decode to themselves"
exit $fail
