#!/usr/bin/env bash
# What `eval "$(cradle-lab env)"` promises, in TAP: with the env's
# variables and nothing else (a clean environment, a home of the test's
# own), `cradlectl templates` reads the lab's templates and `cradlectl
# enroll --template ExchangeUser` gets a certificate onto a simulated
# device, with no more options: the env names the DC and a configuration
# folder whose cradle.conf trusts the lab root.
set -uo pipefail

source_root="${CRADLE_SOURCE_ROOT:?}"
build_root="${CRADLE_BUILD_ROOT:?}"
lab="$source_root/tests/lab/cradle-lab"
n=0

ok() {
  n=$((n + 1))
  if [[ $1 -eq 0 ]]; then
    echo "ok $n $2"
  else
    echo "not ok $n $2"
  fi
}

if ! "$lab" status >/dev/null 2>&1; then
  echo "1..0 # SKIP the lab is not running; start it with tests/lab/cradle-lab up"
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
mkdir -m 700 "$home/run" "$home/device"

# The test's own home and runtime folder; everything else from the env.
clean() {
  env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$home" XDG_RUNTIME_DIR="$home/run" LANG=C.UTF-8 \
    CRADLE_LAB_DIR="$CRADLE_LAB_DIR" bash -c 'eval "$("$0" env)" && exec "$@"' "$lab" "$@"
}

exports=$("$lab" env)
for name in CRADLE_DC CRADLE_DOMAIN CRADLE_CONFIG_DIR; do
  grep -q "^export $name=" <<<"$exports"
  ok $? "cradle-lab env exports $name"
done
clean bash -c 'grep -qx "TrustAnchors=$CRADLE_LAB_ROOT_CA" "$CRADLE_CONFIG_DIR/cradle.conf"'
ok $? "the env's cradle.conf trusts the lab root"

env -u CRADLE_RUNTIME_DIR XDG_RUNTIME_DIR="$home/run" "$build_root/bridge/agent/cradle-agent" \
  --serial=LAB-ENV-1 --store="$home/device" --kek-file="$home/kek" --confirm=approve >"$home/agent.log" 2>&1 &
agent_pid=$!
for _ in $(seq 100); do
  [[ -S "$home/run/cradle/devices/LAB-ENV-1.sock" ]] && break
  sleep 0.1
done

out=$(clean "$build_root/cli/cradlectl" templates --json 2>"$home/templates.err")
rc=$?
[[ $rc -eq 0 ]] && grep -q '"ExchangeUser"' <<<"$out"
ok $? "cradlectl templates with only the env's variables (exit $rc)"
sed 's/^/# /' "$home/templates.err"

out=$(clean "$build_root/cli/cradlectl" enroll --template ExchangeUser --json 2>"$home/enroll.err")
rc=$?
[[ $rc -eq 0 ]]
ok $? "cradlectl enroll --template ExchangeUser with only the env's variables (exit $rc)"
sed 's/^/# /' "$home/enroll.err"

out=$(clean "$build_root/cli/cradlectl" certs --json 2>/dev/null)
grep -q '"issuer"' <<<"$out" && grep -q 'Corp Issuing CA' <<<"$out"
ok $? "the certificate the lab CA issued is on the device"
