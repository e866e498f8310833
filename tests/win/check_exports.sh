#!/bin/sh
# ferrycp.dll's export table is exactly ferrycp.def's four COM entry points:
# nothing a static library marked dllexport (cJSON's API) may leak out of a
# DLL that LogonUI loads (issue 16, finding 10). Usage: check_exports.sh OBJDUMP DLL
set -eu
objdump=$1 dll=$2
got=$("$objdump" -p "$dll" | sed -n '/\[Ordinal\/Name Pointer\] Table/,/^$/p' |
	sed -n 's/^[[:space:]]*\[ *[0-9]*\] //p' | sort | tr '\n' ' ')
want="DllCanUnloadNow DllGetClassObject DllRegisterServer DllUnregisterServer "
echo "exports: $got"
if [ "$got" != "$want" ]; then
	echo "FAIL: want exactly: $want"
	exit 1
fi
echo "ok: exactly the four COM exports"
