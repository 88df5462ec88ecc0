#!/usr/bin/env bash
# A SCEP type made with `cradlectl types add`, then used: `cradlectl enroll
# --type` against the lab's SCEP server (micromdm scepserver) puts a
# certificate on a simulated device. The challenge goes in on standard
# input and is found afterwards in its 0600 file only: not in the type
# file, the journal, the state folder or anything cradlectl printed. TAP.
set -uo pipefail

source_root="${CRADLE_SOURCE_ROOT:?}"
build_root="${CRADLE_BUILD_ROOT:?}"
lab="$source_root/tests/lab/cradle-lab"
cradlectl="$build_root/cli/cradlectl"
n=0

ok() {
  n=$((n + 1))
  if [[ $1 -eq 0 ]]; then echo "ok $n $2"; else echo "not ok $n $2"; fi
}

if ! "$lab" status >/dev/null 2>&1; then
  echo "1..0 # SKIP the lab is not running; start it with tests/lab/cradle-lab up"
  exit 0
fi
eval "$("$lab" env)"
if [[ -z "${CRADLE_LAB_SCEP_CHALLENGE:-}" || -z "${CRADLE_LAB_SCEP_CA:-}" ]]; then
  echo "1..0 # SKIP the lab has no SCEP server yet ('cradle-lab up' with the CA makes one)"
  exit 0
fi
echo "1..7"

home=$(mktemp -d)
agent_pid=
cleanup() {
  if [[ -n "$agent_pid" ]]; then
    kill "$agent_pid" 2>/dev/null
    wait "$agent_pid" 2>/dev/null
  fi
  rm -rf "$home"
}
trap cleanup EXIT
mkdir -m 700 "$home/run" "$home/device" "$home/config" "$home/state" "$home/cache"
# The test's own folders: its types do not go to the lab's shared ones.
export CRADLE_CONFIG_DIR="$home/config" CRADLE_STATE_DIR="$home/state" CRADLE_CACHE_DIR="$home/cache" \
  CRADLE_RUNTIME_DIR="$home/run" CRADLE_SYSTEM_CONFIG_DIR="$home/no-system-config"
serial=TYPES-E2E-1
"$build_root/bridge/agent/cradle-agent" --serial="$serial" --store="$home/device" --kek-file="$home/kek" \
  --confirm=approve >"$home/agent.log" 2>&1 &
agent_pid=$!
for _ in $(seq 100); do
  [[ -S "$home/run/devices/$serial.sock" ]] && break
  sleep 0.1
done

fingerprint=$(openssl x509 -in "$CRADLE_LAB_SCEP_CA" -noout -fingerprint -sha256 | cut -d= -f2)
printf '%s\n' "$CRADLE_LAB_SCEP_CHALLENGE" |
  "$cradlectl" types add lab-scep --protocol scep --url "$CRADLE_LAB_SCEP_URL" \
    --trust-anchors "$CRADLE_LAB_SCEP_CA" --ca-fingerprint "$fingerprint" \
    --subject "CN=$serial,O=Cradle Tests" --display-name "Lab SCEP" --challenge-file - \
    >"$home/add.out" 2>"$home/add.err"
ok $? "cradlectl types add makes a SCEP type, the challenge from standard input"
sed 's/^/# /' "$home/add.err"

mode=$(stat -c %a "$home/config/types.d/lab-scep.challenge" 2>/dev/null)
[[ "$mode" == 600 ]]
ok $? "its challenge file is 0600 (it is $mode)"

"$cradlectl" enroll --type lab-scep --json >"$home/enroll.out" 2>"$home/enroll.err"
rc=$?
[[ $rc -eq 0 ]]
ok $? "cradlectl enroll --type lab-scep gets a certificate from the lab's SCEP server (exit $rc)"
sed 's/^/# /' "$home/enroll.err"

"$cradlectl" certs --json >"$home/certs.out" 2>/dev/null
grep -q "CN = $serial\|CN=$serial" "$home/certs.out"
ok $? "the certificate is on the device"

"$cradlectl" log --json >"$home/log.out" 2>"$home/log.err"
ok $? "the journal reads"

holders=$(grep -rlF -- "$CRADLE_LAB_SCEP_CHALLENGE" "$home" | grep -v '/device/' || true)
[[ "$holders" == "$home/config/types.d/lab-scep.challenge" ]]
ok $? "the challenge is in its file and in no other: not the type, the journal or the output"
[[ -n "$holders" ]] && sed 's/^/# holds it: /' <<<"$holders"

"$cradlectl" types remove lab-scep >/dev/null 2>&1 &&
  [[ ! -e "$home/config/types.d/lab-scep.conf" && ! -e "$home/config/types.d/lab-scep.challenge" ]]
ok $? "cradlectl types remove takes the type and its challenge file"
