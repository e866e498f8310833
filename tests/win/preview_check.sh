#!/bin/sh
# ferry-preview over the sample runbooks, under Wine with an X server:
# every screen and dialog is a PNG of its documented size that decodes
# (tests/ux/png_check.py), and the QR code in the cache prompt's logon
# screen and tile decodes with zbarimg to the runbook's qr_code_url.
# Usage: preview_check.sh WINE_RUN PREFIX FERRY_PREVIEW_EXE SOURCE_DIR
set -u
run=$1 prefix=$2 exe=$3 src=$4
if ! command -v zbarimg >/dev/null 2>&1; then
  echo "SKIP: zbarimg not installed (apt-get install zbar-tools)"
  exit 77
fi
out=$(mktemp -d) || exit 1
trap 'rm -rf "$out"' EXIT
samples=$src/resources/samples
"$run" --prefix "$prefix" --gui "$exe" --runbook "$samples/cache-credentials.json" \
  --runbook "$samples/migration.json" --out "$out" >"$out/log" 2>&1
rc=$?
cat "$out/log"
[ $rc -eq 0 ] || { echo "FAIL: ferry-preview exited $rc"; exit 1; }
fail=0
for rb in cache-credentials migration; do
  for s in cache_credentials migration_in_progress service_unavailable fallback legal_notice; do
    python3 "$src/tests/ux/png_check.py" "$out/$rb/logon-$s.png" 1024 768 || fail=1
  done
  for d in migration_available migration_starting migration_in_progress migration_complete \
           service_unavailable cache_credentials_session; do
    python3 "$src/tests/ux/png_check.py" "$out/$rb/notify-$d.png" 600 500 || fail=1
  done
  python3 "$src/tests/ux/png_check.py" "$out/$rb/lockscreen.png" 1920 1080 || fail=1
  want=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["user_experience"]["qr_code_url"])' "$samples/$rb.json")
  for f in logon-cache_credentials tile notify-cache_credentials_session; do
    got=$(zbarimg --raw -q "$out/$rb/$f.png" 2>"$out/zerr")
    if [ "$got" != "$want" ]; then
      echo "FAIL: $rb/$f.png: QR decoded '$got', want '$want'"; cat "$out/zerr"; fail=1
    else
      echo "ok: $rb/$f.png QR decodes to $want"
    fi
  done
done
# A bad runbook: refused with its JSON pointer, nothing rendered.
printf '{"schema":"ferry.runbook/1","id":"bad","name":"x","startup":{"run":false,"mode":"loud"}}' >"$out/bad.json"
"$run" --prefix "$prefix" --gui "$exe" --runbook "$out/bad.json" --out "$out/b" >"$out/blog" 2>&1
rc=$?
if [ $rc -ne 1 ] || ! grep -q "/startup/mode" "$out/blog"; then
  echo "FAIL: bad runbook: exit $rc, want 1 with /startup/mode named"; cat "$out/blog"; fail=1
else
  echo "ok: a bad runbook is refused at its pointer"
fi
# A runbook with an empty text and a placeholder without a value: the empty
# text is the built-in one (no error), the placeholder is a warning that names
# the field it stands in.
python3 - "$samples/cache-credentials.json" "$out/gaps.json" <<'PY'
import json, sys
rb = json.load(open(sys.argv[1]))
rb["id"] = "gaps"
del rb["user_experience"]["support_phone"]
rb["user_experience"]["cache_credentials"]["main_message"] = ""
rb["user_experience"]["cache_credentials"].pop("logo", None)
json.dump(rb, open(sys.argv[2], "w"))
PY
"$run" --prefix "$prefix" --gui "$exe" --runbook "$out/gaps.json" --out "$out/g" >"$out/glog" 2>&1
rc=$?
want='warning: gaps: cache_credentials: {support_phone}: has no value and shows as nothing (in user_experience.cache_credentials.login_text)'
if [ $rc -ne 0 ] || ! grep -qF "$want" "$out/glog"; then
  echo "FAIL: empty text / empty placeholder: exit $rc, want 0 and '$want'"; cat "$out/glog"; fail=1
else
  echo "ok: an empty text stands for the built-in one; an empty {support_phone} is a warning naming its field"
fi
exit $fail
