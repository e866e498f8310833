#!/bin/sh
# `ferry acl` from the outside: outputs, exit codes, and errors that name the line.
#   cli_acl.sh PATH-TO-FERRY
set -u
ferry=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

check() { # name, expected, actual
	if [ "$2" != "$3" ]; then
		printf 'FAIL %s\n  want: %s\n  got:  %s\n' "$1" "$2" "$3"
		fails=$((fails + 1))
	fi
}

src=S-1-5-21-1004336348-1177238915-682003330-1105
dst=S-1-5-21-3623811015-3361044348-30300820-2105
printf 'source_sid,target_sid,source_name,target_name\n%s,%s,SRC\\jdoe,DST\\jdoe\n' "$src" "$dst" >"$tmp/t.csv"

out=$("$ferry" acl check-table "$tmp/t.csv"); check check-table.rc 0 $?
case $out in *"1 entries"*) ;; *) check check-table.out "1 entries" "$out" ;; esac

printf '%s,%s\nS-1-5-18,%s\n' "$src" "$dst" "$dst" >"$tmp/bad.csv"
err=$("$ferry" acl check-table "$tmp/bad.csv" 2>&1); check check-table.bad.rc 1 $?
case $err in *"line 2: source S-1-5-18 is a well-known"*) ;; *) check check-table.bad.msg "line 2 ..." "$err" ;; esac

out=$("$ferry" acl translate --table "$tmp/t.csv" --mode replace --sddl "O:${src}G:SYD:AI(A;OICIID;FA;;;${src})(A;;FA;;;SY)")
check translate.sddl "1 O:${dst}G:SYD:AI(A;OICIID;FA;;;${dst})(A;;FA;;;SY)" "$out"

out=$("$ferry" acl translate --table "$tmp/t.csv" --mode add --sddl "O:${src}D:(A;;FA;;;${src})")
check translate.add "1 O:${src}D:(A;;FA;;;${src})(A;;FA;;;${dst})" "$out"

out=$("$ferry" acl translate --table "$tmp/t.csv" --mode remove --sddl "O:BAD:(A;;FA;;;SY)")
check translate.unchanged "0 O:BAD:(A;;FA;;;SY)" "$out"

# Hex in and out: an unchanged SD comes back exactly as it went in.
hex=$("$ferry" acl translate --table "$tmp/t.csv" --mode remove --json --sddl "O:SYD:(A;;FA;;;SY)" |
	sed 's/.*"hex":"\([0-9a-f]*\)".*/\1/')
check hex.len 120 ${#hex}
check hex.unchanged "0 $hex" "$("$ferry" acl translate --table "$tmp/t.csv" --mode replace --hex "$hex")"

# Batch: line 1 is fine, line 2 is the same SD cut short; the run stops
# there, exit 1, naming line 2 and the offset.
printf '%s\n%s\n' "$hex" "${hex%????????}" >"$tmp/batch.hex"
err=$("$ferry" acl translate --table "$tmp/t.csv" --mode replace --batch "$tmp/batch.hex" 2>&1 >"$tmp/batch.out")
check batch.rc 1 $?
check batch.first "0 $hex" "$(cat "$tmp/batch.out")"
case $err in *"line 2: "*"(offset "*) ;; *) check batch.msg "line 2: ... (offset N)" "$err" ;; esac
printf '%s\nzz\n' "$hex" | "$ferry" acl translate --table "$tmp/t.csv" --mode add --batch - >/dev/null 2>"$tmp/err"
check batch.stdin.rc 1 $?
case $(cat "$tmp/err") in *"line 2: hex: bad digit"*) ;; *) check batch.stdin.msg "line 2: hex: bad digit" "$(cat "$tmp/err")" ;; esac

out=$("$ferry" acl translate --table "$tmp/t.csv" --mode replace --json --sddl "O:${src}")
case $out in '{"changed":true,"hex":"'*'","sddl":"O:'"$dst"'"}') ;; *) check json "{changed:true,...}" "$out" ;; esac

"$ferry" acl translate --table "$tmp/t.csv" --mode sideways --hex 00 2>/dev/null; check usage.mode 64 $?
"$ferry" acl translate --table "$tmp/t.csv" --mode add 2>/dev/null; check usage.input 64 $?
"$ferry" acl 2>/dev/null; check usage.acl 64 $?

[ $fails -eq 0 ] && echo "cli_acl: all checks passed"
exit $((fails != 0))
