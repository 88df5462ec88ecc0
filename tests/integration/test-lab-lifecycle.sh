#!/usr/bin/env bash
# The lab's life cycle, as a developer and CI use it, in TAP:
# up on a running lab changes nothing; a crashed DC is noticed and restarted
# by up; down leaves no lab process; the lab ends as it was found (running).
set -uo pipefail

lab="${CRADLE_SOURCE_ROOT:?}/tests/lab/cradle-lab"
n=0
failed=0

ok() {
  n=$((n + 1))
  if [[ $1 -eq 0 ]]; then
    echo "ok $n $2"
  else
    echo "not ok $n $2"
    failed=1
  fi
}

# Samba rewrites its process titles; the lab's own helper finds its
# processes by executable and working directory.
LAB_DIR=$(readlink -f "${CRADLE_LAB_DIR:?}")
# shellcheck source=../lab/lib/procs.sh
source "${CRADLE_SOURCE_ROOT}/tests/lab/lib/procs.sh"
lab_pid_list() {
  lab_pids | sort -n | tr '\n' ' '
}

if ! "$lab" status >/dev/null 2>&1; then
  echo "1..0 # SKIP the lab is not running; start it with tests/lab/cradle-lab up"
  exit 0
fi
echo "1..11"

before=$(lab_pid_list)
"$lab" up >/dev/null 2>&1
ok $? "up on a running lab succeeds"
[[ "$(lab_pid_list)" == "$before" ]]
ok $? "up on a running lab starts and stops nothing"

env_output=$("$lab" env)
grep -q "^export KRB5_CONFIG=" <<<"$env_output" &&
  grep -q "^export CRADLE_LAB_LDAP_URI=" <<<"$env_output" &&
  grep -q "^export CRADLE_LAB_ALICE_PASSWORD=" <<<"$env_output" &&
  grep -q "^export CRADLE_LAB_CERTSRV_URL=" <<<"$env_output"
ok $? "env prints the exports a shell needs"

# A crash: kill the DC outright, as the OOM killer would.
kill -9 $(lab_pid_list) 2>/dev/null
sleep 1
"$lab" status >/dev/null 2>&1
[[ $? -ne 0 ]]
ok $? "status notices a crashed DC"

start=$EPOCHREALTIME
"$lab" up >/dev/null 2>&1
up_status=$?
end=$EPOCHREALTIME
awk -v s="$start" -v e="$end" 'BEGIN { printf "# up after a crash took %.1f s\n", e - s }'
[[ $up_status -eq 0 ]] && "$lab" status >/dev/null 2>&1
ok $? "up restarts a crashed lab"

"$lab" down >/dev/null 2>&1
ok $? "down succeeds"
[[ -z "$(lab_pid_list)" ]]
ok $? "down leaves no lab process"
"$lab" down >/dev/null 2>&1
ok $? "down on a stopped lab succeeds"

# The DC stopped: cradlectl says so with exit 3 (unreachable), within its
# network timeout rather than hanging.
cradlectl="${CRADLE_BUILD_ROOT:?}/cli/cradlectl"
start=$EPOCHREALTIME
out=$(eval "$env_output"; "$cradlectl" templates --json --dc "$CRADLE_LAB_LDAP_URI" 2>/dev/null)
status=$?
end=$EPOCHREALTIME
awk -v s="$start" -v e="$end" 'BEGIN { printf "# cradlectl templates against a stopped DC took %.1f s\n", e - s }'
[[ $status -eq 3 ]]
ok $? "cradlectl templates against a stopped DC exits 3 (unreachable)"
grep -q '"code" : "unreachable"' <<<"$out"
ok $? "its JSON error says unreachable"

"$lab" up >/dev/null 2>&1 && "$lab" status >/dev/null 2>&1
ok $? "up brings the lab back"

exit $failed
