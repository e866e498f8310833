#!/bin/sh
# `ferry runbook check`: the samples pass, and every committed invalid case is
# rejected (exit 1) with a line starting with the JSON Pointer its .expect names.
# usage: check-cases.sh FERRY SOURCE_DIR
set -u
ferry=$1
src=$2
fail=0
cases=0

out=$("$ferry" runbook check "$src"/resources/samples/*.json)
rc=$?
if [ $rc -ne 0 ]; then
	echo "FAIL samples: exit $rc"
	echo "$out"
	fail=1
fi

dir=$src/tests/data/runbook/invalid
for expect in "$dir"/*.expect; do
	case_json=${expect%.expect}.json
	pointer=$(sed -n 's/^pointer //p' "$expect")
	with=$(sed -n 's/^with //p' "$expect" | while read -r f; do printf '%s\n' "$dir/$f"; done)
	# shellcheck disable=SC2086 # the with-list holds paths without spaces
	out=$("$ferry" runbook check "$case_json" $with)
	rc=$?
	cases=$((cases + 1))
	name=$(basename "$case_json")
	if [ $rc -ne 1 ]; then
		echo "FAIL $name: exit $rc, want 1"
		echo "$out"
		fail=1
		continue
	fi
	# The line must start with the pointer followed by ": " and name this file.
	if ! printf '%s\n' "$out" | grep -F -- "$pointer: " | grep -F -q "($case_json)" ||
	   ! printf '%s\n' "$out" | grep -q -- "^$(printf '%s' "$pointer" | sed 's/[][\.*^$]/\\&/g'): "; then
		echo "FAIL $name: no line starting with '$pointer: '"
		echo "$out"
		fail=1
	fi
done
echo "checked the samples and $cases invalid cases"
[ $cases -ge 25 ] || { echo "FAIL: only $cases invalid cases"; fail=1; }
exit $fail
