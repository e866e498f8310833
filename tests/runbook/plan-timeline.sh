#!/bin/sh
# The user's story (design.md §1, steps 1-6) as a timeline: at each instant
# the device state is what the service would have recorded so far, and
# `ferry plan --json` must print the decision the story describes.
# usage: plan-timeline.sh FERRY SOURCE_DIR
set -u
ferry=$1
samples=$2/resources/samples
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
steps=0

# step NAME NOW STATE-JSON EXPECTED-JSON
step() {
	printf '%s\n' "$3" > "$tmp/state.json"
	got=$("$ferry" plan --batch "$samples/batch-01.json" --runbooks "$samples" \
		--state "$tmp/state.json" --now "$2" --json)
	rc=$?
	steps=$((steps + 1))
	if [ $rc -ne 0 ] || [ "$got" != "$4" ]; then
		echo "FAIL $1 (at $2): exit $rc"
		echo "  got:  $got"
		echo "  want: $4"
		fail=1
	else
		echo "ok   $1: $got"
	fi
}

base='"server_reachable":true,"complete_acknowledged":false'

# 1. Cache credentials: the batch arrives; the user is asked for target credentials.
step "1 prompt for target credentials" 2025-03-01T09:00:00Z \
	"{\"credentials_cached\":false,\"completed\":[],\"snoozed_until\":null,\"running\":null,\"user_logged_on\":true,$base}" \
	'{"experience":"cache_credentials","runbook":"cache-credentials","action":"prompt_cache_credentials","next_check":null}'
step "1 credentials cached: the silent runbook completes" 2025-03-01T09:05:00Z \
	"{\"credentials_cached\":true,\"completed\":[],\"snoozed_until\":null,\"running\":null,\"user_logged_on\":true,$base}" \
	'{"experience":"none","runbook":"cache-credentials","action":"start","next_check":null}'
step "1 nothing until the migration is available" 2025-03-01T09:06:00Z \
	"{\"credentials_cached\":true,\"completed\":[\"cache-credentials\"],\"snoozed_until\":null,\"running\":null,\"user_logged_on\":true,$base}" \
	'{"experience":"none","runbook":null,"action":"wait","next_check":"2025-03-03T08:00:00Z"}'

# 2. Migration available: start now or snooze; snoozing stops at enforced-after.
step "2 offered from available-from" 2025-03-03T08:00:00Z \
	"{\"credentials_cached\":true,\"completed\":[\"cache-credentials\"],\"snoozed_until\":null,\"running\":null,\"user_logged_on\":true,$base}" \
	'{"experience":"migration_available","runbook":"migration","action":"offer","next_check":"2025-03-07T18:00:00Z"}'
step "2 snoozed past enforcement: hidden only until enforcement" 2025-03-07T12:00:00Z \
	"{\"credentials_cached\":true,\"completed\":[\"cache-credentials\"],\"snoozed_until\":\"2025-03-09T12:00:00Z\",\"running\":null,\"user_logged_on\":true,$base}" \
	'{"experience":"none","runbook":"migration","action":"wait","next_check":"2025-03-07T18:00:00Z"}'
step "2 enforced: told it starts within 60 minutes" 2025-03-07T18:00:00Z \
	"{\"credentials_cached\":true,\"completed\":[\"cache-credentials\"],\"snoozed_until\":\"2025-03-09T12:00:00Z\",\"running\":null,\"user_logged_on\":true,$base}" \
	'{"experience":"migration_starting","runbook":"migration","action":"announce_start","next_check":"2025-03-07T19:00:00Z"}'
step "2 countdown" 2025-03-07T18:30:00Z \
	"{\"credentials_cached\":true,\"completed\":[\"cache-credentials\"],\"snoozed_until\":\"2025-03-09T12:00:00Z\",\"running\":null,\"user_logged_on\":true,\"start_announced_at\":\"2025-03-07T18:00:00Z\",$base}" \
	'{"experience":"migration_starting","runbook":"migration","action":"countdown","next_check":"2025-03-07T19:00:00Z"}'

# 3. Migration starts 60 minutes after the announcement.
step "3 migration starts" 2025-03-07T19:00:00Z \
	"{\"credentials_cached\":true,\"completed\":[\"cache-credentials\"],\"snoozed_until\":\"2025-03-09T12:00:00Z\",\"running\":null,\"user_logged_on\":true,\"start_announced_at\":\"2025-03-07T18:00:00Z\",$base}" \
	'{"experience":"migration_starting","runbook":"migration","action":"start","next_check":null}'
step "3 startup phase: in progress" 2025-03-07T19:01:00Z \
	"{\"credentials_cached\":true,\"completed\":[\"cache-credentials\"],\"snoozed_until\":null,\"running\":{\"runbook\":\"migration\",\"phase\":\"startup\"},\"user_logged_on\":true,$base}" \
	'{"experience":"migration_in_progress","runbook":"migration","action":"continue","next_check":null}'

# 4. ODJ behind the lock screen; with a user on and no server: service unavailable.
step "4 ODJ, nobody logged on" 2025-03-07T19:10:00Z \
	"{\"credentials_cached\":true,\"completed\":[\"cache-credentials\"],\"snoozed_until\":null,\"running\":{\"runbook\":\"migration\",\"phase\":\"device_state\"},\"user_logged_on\":false,$base}" \
	'{"experience":"migration_in_progress","runbook":"migration","action":"continue","next_check":null}'
step "4 server unreachable while a user is logged on" 2025-03-07T19:12:00Z \
	"{\"credentials_cached\":true,\"completed\":[\"cache-credentials\"],\"snoozed_until\":null,\"running\":{\"runbook\":\"migration\",\"phase\":\"device_state\"},\"user_logged_on\":true,\"server_reachable\":false,\"complete_acknowledged\":false}" \
	'{"experience":"service_unavailable","runbook":"migration","action":"continue","next_check":null}'

# 5. Permission updates and app reconfiguration: still in progress.
step "5 ReACL" 2025-03-07T19:20:00Z \
	"{\"credentials_cached\":true,\"completed\":[\"cache-credentials\"],\"snoozed_until\":null,\"running\":{\"runbook\":\"migration\",\"phase\":\"permission_updates\"},\"user_logged_on\":false,$base}" \
	'{"experience":"migration_in_progress","runbook":"migration","action":"continue","next_check":null}'

# 6. First logon: migration complete, shown once.
step "6 first logon: migration complete" 2025-03-07T19:40:00Z \
	"{\"credentials_cached\":true,\"completed\":[\"cache-credentials\",\"migration\"],\"snoozed_until\":null,\"running\":null,\"user_logged_on\":true,$base}" \
	'{"experience":"migration_complete","runbook":"migration","action":"show_complete","next_check":null}'
step "6 acknowledged: nothing more" 2025-03-07T19:45:00Z \
	"{\"credentials_cached\":true,\"completed\":[\"cache-credentials\",\"migration\"],\"snoozed_until\":null,\"running\":null,\"user_logged_on\":true,\"server_reachable\":true,\"complete_acknowledged\":true}" \
	'{"experience":"none","runbook":null,"action":"none","next_check":null}'

echo "$steps timeline steps"
exit $fail
