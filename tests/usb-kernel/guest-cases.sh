#!/bin/bash
# guest-cases.sh OUT: the usb-kernel suite's cases, run in the qemu guest as
# root, chrooted into this machine's root (read-only; /run and /tmp are
# tmpfs). OUT is the writable out folder; OUT/env says where the tree and the
# build are. Each case appends "ok NAME" or "not ok NAME - why" to
# OUT/results; test-usb-kernel.py reports them as TAP.
#
# Device side: data/cradle-gadget and cradle-agent --functionfs on dummy_hcd's
# device controllers. Host side: cradlectl and usb-kernel-probe (libcradle)
# over libusb through dummy_hcd's host controllers, in the same kernel. The
# first device asks its user (--confirm ask): the script answers on its
# terminal only after the probe printed that the device waits. Waits poll
# sysfs or a log for a bounded time; there are no fixed sleeps.
#
# Under TCG a program started over 9p costs 0.2 to 0.3 s of the guest's two
# CPUs, which the device and host programs need: the helpers that poll
# (wait_for and what it calls) are bash builtins and start no program.
# USB_KERNEL_TRACE=1 on the host traces every command with the guest's
# time into OUT/logs/trace.txt, to see where the time goes.
set -u
OUT=$1
. "$OUT/env"
mkdir -p "$OUT/logs"
if [ -n "${TRACE:-}" ]; then
  exec 7> "$OUT/logs/trace.txt"
  BASH_XTRACEFD=7
  PS4='+ ${EPOCHREALTIME} '
  set -x
fi
export PATH="$BUILD/cli:$BUILD/bridge/agent:/usr/sbin:/usr/bin:/sbin:/bin"
export LANG=C.UTF-8 G_DEBUG=fatal-criticals
# As in the tests' environment: no token of this machine (p11-kit modules).
export CRADLE_TOKENS_USE_P11KIT=false
PROBE=$BUILD/tests/usb-kernel/usb-kernel-probe
GADGET_SCRIPT=$SRC/data/cradle-gadget
RESULTS=$OUT/results
LOGS=$OUT/logs
mkdir -p "$LOGS"

# The host's user: a fresh profile on tmpfs.
host_env () {
  export HOME=/run/host XDG_RUNTIME_DIR=/run/host/runtime XDG_CONFIG_HOME=/run/host/config
  export XDG_DATA_HOME=/run/host/data XDG_STATE_HOME=/run/host/state XDG_CACHE_HOME=/run/host/cache
}
host_env
mkdir -p -m 0700 "$XDG_RUNTIME_DIR"

say () {
  read -r up _ < /proc/uptime
  echo "[guest $up] $*"
}

# A FIFO nobody writes: reading it with a timeout is a sleep that starts
# no program.
mkfifo /run/pause.fifo
exec 8<> /run/pause.fifo
pause () { read -r -t "$1" -u 8 _ || true; }

# wait_for SECONDS CMD...: poll CMD every 0.1 s until it succeeds, for at
# most SECONDS of the guest's clock
wait_for () {
  local up deadline
  read -r up _ < /proc/uptime
  deadline=$((${up%.*} + $1))
  shift
  until "$@"; do
    read -r up _ < /proc/uptime
    [ "${up%.*}" -lt "$deadline" ] || return 1
    pause 0.1
  done
}

# has_line FILE REGEX: a line of FILE matches REGEX (extended)
has_line () {
  local line
  [ -r "$1" ] || return 1
  while IFS= read -r line || [ -n "$line" ]; do
    [[ $line =~ $2 ]] && return 0
  done < "$1"
  return 1
}
no_line () { ! has_line "$@"; }
# count_lines FILE LINE: how many lines of FILE are LINE
count_lines () {
  local line n=0
  if [ -r "$1" ]; then
    while IFS= read -r line || [ -n "$line" ]; do
      [ "$line" != "$2" ] || n=$((n + 1))
    done < "$1"
  fi
  echo "$n"
}
# last_line FILE: for messages
last_line () {
  local line last=
  if [ -r "$1" ]; then
    while IFS= read -r line || [ -n "$line" ]; do last=$line; done < "$1"
  fi
  echo "$last"
}
gone () { ! kill -0 "$1" 2>/dev/null; }

# Device N (0..3): serial QEMU000(N+1), dummy_udc.N, host id usb:(N+1)-1.
serial_of () { echo "QEMU000$(($1 + 1))"; }
usb_id_of () { echo "usb:$(($1 + 1))-1"; }
present () {
  local serial
  read -r serial 2>/dev/null < "/sys/bus/usb/devices/$(($1 + 1))-1/serial" && [ "$serial" = "QEMU000$(($1 + 1))" ]
}
absent () { [ ! -e "/sys/bus/usb/devices/$(($1 + 1))-1" ]; }
gadget_dir () { echo "/sys/kernel/config/usb_gadget/device$1"; }
agent_pid () { local pid=; read -r pid 2>/dev/null < "/run/cradle-gadget/device$1.pid"; echo "$pid"; }
store_of () { echo "/run/device$1"; }

unbind () { echo "" > "$(gadget_dir "$1")/UDC"; }
rebind () {
  echo "dummy_udc.$1" > "$(gadget_dir "$1")/UDC" && wait_for 30 present "$1"
}

# The device's user, at the agent's terminal (device-user.py).
answer () { echo "$2" > "/run/device$1.answers"; }

# gadget_up N AGENT-OPTIONS...: the real gadget script and agent for device
# N, with a terminal for its user when it asks (--confirm ask)
gadget_up () {
  n=$1
  shift
  store=$(store_of "$n")
  mkdir -p "$store/home"
  tty=
  case " $* " in
    *" --confirm ask "*)
      python3 "$SRC/tests/usb-kernel/device-user.py" "/run/device$n.tty" "/run/device$n.answers" \
        "$LOGS/tty$n.log" > "/run/device$n.user" 2>&1 &
      wait_for 30 has_line "/run/device$n.user" "^ready" || return 1
      tty="--tty /run/device$n.tty"
      ;;
  esac
  # shellcheck disable=SC2086
  HOME=$store/home XDG_CONFIG_HOME=$store/home/config XDG_DATA_HOME=$store/home/data \
    sh "$GADGET_SCRIPT" up --name "device$n" --udc "dummy_udc.$n" $tty "$(serial_of "$n")" \
      --store "$store/store" --verbose "$@" > "$LOGS/agent$n.log" 2>&1 || return 1
  wait_for 30 present "$n"
}

# snapshot N FILE: every file the device keeps, with its SHA-256
snapshot () {
  local f files=()
  (
    cd "/run/device$1" || exit 1
    shopt -s globstar dotglob nullglob
    for f in **; do
      [ ! -f "$f" ] || files+=("$f")
    done
    [ ${#files[@]} = 0 ] || sha256sum -- "${files[@]}"
  ) > "$2"
}

# probe_bg NAME ARGS...: start the probe, its output in $LOGS/NAME.log
probe_bg () {
  name=$1
  shift
  "$PROBE" "$@" > "$LOGS/$name.log" 2>&1 &
  probe_pid=$!
}

# probe_end SECONDS: wait for the probe started last; its exit code in rc
probe_end () {
  if ! wait_for "$1" gone "$probe_pid"; then
    kill "$probe_pid" 2>/dev/null
    wait "$probe_pid"
    rc=timeout
    return 1
  fi
  wait "$probe_pid"
  rc=$?
}

# json FILE EXPR: a Python expression over the JSON in FILE (as j), printed
json () { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }

detail=
check () { # check WHY CMD...: run CMD; on failure remember WHY and fail
  why=$1
  shift
  "$@" && return 0
  detail=$why
  return 1
}

selected () {
  [ -z "$CASES" ] && return 0
  case " $CASES " in *" $1 "*) return 0 ;; esac
  return 1
}

run_case () {
  selected "$1" || return 0
  detail=
  say "case $1"
  if "case_${1//-/_}"; then
    echo "ok $1" >> "$RESULTS"
    say "case $1 passed"
  else
    echo "not ok $1 - ${detail:-failed}" >> "$RESULTS"
    say "case $1 FAILED: $detail"
  fi
}

# ---- the cases -------------------------------------------------------------

case_devices_found () {
  cradlectl devices --json > "$LOGS/devices.json" 2> "$LOGS/devices.err"
  check "cradlectl devices exited $?" [ $? = 0 ] || return 1
  found=$(json "$LOGS/devices.json" \
    "' '.join(d['id'] + '=' + str(d['serial']) for d in j if d['transport'] == 'usb')")
  check "cradlectl devices listed '$found', not usb:1-1=QEMU0001" [ "$found" = "usb:1-1=QEMU0001" ]
}

case_device_identity () {
  "$PROBE" info usb:1-1 > "$LOGS/info.log" 2>&1
  check "usb-kernel-probe info exited $?" [ $? = 0 ] || return 1
  model=$(sed -n 's/^model=//p' "$LOGS/info.log")
  manufacturer=$(sed -n 's/^manufacturer=//p' "$LOGS/info.log")
  # The guest's firmware (qemu's DMI tables) names the machine.
  dmi_model=$(head -n 1 /sys/class/dmi/id/product_name)
  dmi_vendor=$(head -n 1 /sys/class/dmi/id/sys_vendor)
  check "this guest has no DMI names to compare with" [ -n "$dmi_model" -a -n "$dmi_vendor" ] || return 1
  check "the device reports the model '$model', not the machine's '$dmi_model'" [ "$model" = "$dmi_model" ] || return 1
  check "the device reports the manufacturer '$manufacturer', not the machine's '$dmi_vendor'" \
    [ "$manufacturer" = "$dmi_vendor" ]
}

case_pairing () {
  probe_bg pair pair usb:1-1
  check "the device never asked to trust this computer" wait_for 30 has_line "$LOGS/pair.log" "^waiting pair 3" || return 1
  check "paired before its user answered" no_line "$LOGS/pair.log" "^done pair" || return 1
  answer 0 y
  probe_end 30
  check "pairing ended with $rc: $(last_line "$LOGS/pair.log")" [ "$rc" = 0 ] || return 1
  # A new session authenticates with the pinned key, asking nobody.
  "$PROBE" info usb:1-1 > "$LOGS/pair-again.log" 2>&1
  check "a new session: $(head -n 1 "$LOGS/pair-again.log")" has_line "$LOGS/pair-again.log" "^done open paired=yes" || return 1
  check "the device asked again" no_line "$LOGS/pair-again.log" "^waiting"
}

case_generate_confirmed () {
  probe_bg generate generate usb:1-1
  check "the device never said it waits for its user" \
    wait_for 30 has_line "$LOGS/generate.log" "^waiting generate 1" || return 1
  check "the key was made before its user answered" no_line "$LOGS/generate.log" "^done generate" || return 1
  answer 0 y
  probe_end 60
  check "GENERATE_KEY ended with $rc: $(last_line "$LOGS/generate.log")" [ "$rc" = 0 ] || return 1
  check "no key id and SubjectPublicKeyInfo" has_line "$LOGS/generate.log" "^done generate key=[0-9a-f]* spki=91$"
}

# answer_steps N LOG STEP...: the user of device N says yes to each STEP
# once the probe writing LOG says the device asks about it
answer_steps () {
  n=$1
  log=$2
  shift 2
  for step in "$@"; do
    check "device $n never asked about $step" wait_for 60 has_line "$log" "^waiting $step " || return 1
    answer "$n" y
  done
}

# enroll_answering NAME N STEP...: an enrollment on device N, answering yes
# at each STEP's wait
enroll_answering () {
  name=$1
  n=$2
  shift 2
  probe_bg "$name" enroll "$(usb_id_of "$n")" "$(serial_of "$n") $name"
  answer_steps "$n" "$LOGS/$name.log" "$@" || return 1
  probe_end 60
  check "the enrollment ended with $rc: $(last_line "$LOGS/$name.log")" [ "$rc" = 0 ]
}

case_sign_list_install () {
  enroll_answering enroll 0 generate sign install || return 1
  check "SIGN did not verify" has_line "$LOGS/enroll.log" "^done sign algorithm=ecdsa-with-SHA256" || return 1
  leaf=$(sed -n 's/^done list certs=[0-9]* leaf=//p' "$LOGS/enroll.log")
  echo "$leaf" > /run/leaf
  cradlectl certs --device QEMU0001 --json > "$LOGS/certs.json" 2> "$LOGS/certs.err"
  check "cradlectl certs exited $?" [ $? = 0 ] || return 1
  listed=$(json "$LOGS/certs.json" \
    "' '.join(c['sha256'].replace(':', '').lower() for c in j if c['store'] == 'MY')")
  check "cradlectl certs lists '$listed', not the certificate installed ($leaf)" [ "$listed" = "$leaf" ]
}

# monitor_saw removed|added: the device monitor announced every unplug it watched
monitor_saw () { [ "$(count_lines "$LOGS/monitor.log" "$1 usb:1-1")" = "$watched" ]; }

# unplug_at NAME STEP ANSWERED... -- PROBE-ARGS: unbind device 0 while STEP
# waits for its user (after answering yes to ANSWERED); the probe must fail
# with "device gone", and the device keep every file as it was
unplug_at () {
  name=$1
  step=$2
  shift 2
  answers=
  while [ "$1" != "--" ]; do answers="$answers $1"; shift; done
  shift
  pid=$(agent_pid 0)
  probe_bg "$name" "$@"
  for a in $answers; do
    check "the device never asked about $a" wait_for 60 has_line "$LOGS/$name.log" "^waiting $a " || return 1
    answer 0 y
  done
  check "the device never asked about $step" wait_for 60 has_line "$LOGS/$name.log" "^waiting $step " || return 1
  snapshot 0 "$LOGS/$name.before"
  unbind 0
  [ -z "$monitor_pid" ] || watched=$((watched + 1))
  probe_end 30
  check "$step ended with $rc after the unbind, not 6 (device gone): $(last_line "$LOGS/$name.log")" \
    [ "$rc" = 6 ] || { rebind 0; return 1; }
  check "not reported as device gone: $(last_line "$LOGS/$name.log")" \
    has_line "$LOGS/$name.log" "^error $step DEVICE_GONE" || { rebind 0; return 1; }
  check "the device is still listed after the unbind" wait_for 30 absent 0 || { rebind 0; return 1; }
  check "the agent stopped" kill -0 "$pid" || { rebind 0; return 1; }
  snapshot 0 "$LOGS/$name.after"
  check "the device's files changed: $(diff "$LOGS/$name.before" "$LOGS/$name.after" | tr '\n' ' ')" \
    cmp -s "$LOGS/$name.before" "$LOGS/$name.after" || { rebind 0; return 1; }
  # The monitor polls: a rebind before it saw the device leave would hide
  # both events from it. monitor-hotplug says whether it saw them.
  [ -z "$monitor_pid" ] || wait_for 15 monitor_saw removed
  check "the device did not come back after the rebind" rebind 0 || return 1
  [ -z "$monitor_pid" ] || wait_for 15 monitor_saw added
  return 0
}

case_unplug_during_pairing () {
  # Another user of this computer, whom the device does not trust yet.
  export HOME=/run/other XDG_CONFIG_HOME=/run/other/config XDG_DATA_HOME=/run/other/data
  export XDG_STATE_HOME=/run/other/state XDG_CACHE_HOME=/run/other/cache
  unplug_at unplug-pairing pair -- pair usb:1-1
  status=$?
  host_env
  return $status
}

case_unplug_during_generate () {
  unplug_at unplug-generate generate -- enroll usb:1-1 "QEMU0001 unplugged"
}

case_unplug_during_sign () {
  unplug_at unplug-sign sign generate -- enroll usb:1-1 "QEMU0001 unplugged"
}

case_unplug_during_install () {
  unplug_at unplug-install install generate sign -- enroll usb:1-1 "QEMU0001 unplugged"
}

case_unplug_during_delete () {
  unplug_at unplug-delete delete -- delete usb:1-1 "$(cat /run/leaf)"
}

case_rebind_resume () {
  check "another agent serves now, not the one that served before the unbinds" [ "$(agent_pid 0)" = "$first_agent" ] || return 1
  # The delete the unbind stopped, done now, in a session paired as before.
  probe_bg resume delete usb:1-1 "$(cat /run/leaf)"
  check "the device never asked about delete" wait_for 60 has_line "$LOGS/resume.log" "^waiting delete " || return 1
  answer 0 y
  probe_end 30
  check "DELETE_CERT ended with $rc: $(last_line "$LOGS/resume.log")" [ "$rc" = 0 ] || return 1
  check "the session after the rebinds was not paired" has_line "$LOGS/resume.log" "^done open paired=yes" || return 1
  check "the device asked to pair again" no_line "$LOGS/resume.log" "^waiting pair" || return 1
  cradlectl certs --device QEMU0001 --json > "$LOGS/certs-resume.json" 2>&1
  check "cradlectl certs exited $?" [ $? = 0 ] || return 1
  listed=$(json "$LOGS/certs-resume.json" \
    "' '.join(c['sha256'].replace(':', '').lower() for c in j if c['store'] == 'MY')")
  check "the device still holds '$listed' after deleting it" [ -z "$listed" ]
}

case_monitor_hotplug () {
  check "no unplug ran while the monitor watched" [ "$watched" -gt 0 ] || return 1
  check "the monitor stopped early: $(last_line "$LOGS/monitor.log")" kill -0 "$monitor_pid" || return 1
  wait_for 15 monitor_saw removed
  wait_for 15 monitor_saw added
  removed=$(count_lines "$LOGS/monitor.log" "removed usb:1-1")
  added=$(count_lines "$LOGS/monitor.log" "added usb:1-1")
  check "the monitor saw $removed of $watched removals and $added of $watched arrivals" \
    [ "$removed" = "$watched" -a "$added" = "$watched" ]
}

case_four_devices () {
  # Three more devices, brought up together: each takes its own controller.
  pids=
  # Their names come from their configuration, over the machine's.
  for n in 1 2 3; do
    gadget_up "$n" --confirm approve --manufacturer "Cradle Lab" --model "Bench unit $n" &
    pids="$pids $!"
  done
  wait $pids
  for n in 1 2 3; do
    check "device $n did not come up: $(last_line "$LOGS/agent$n.log")" wait_for 30 present "$n" || return 1
  done
  cradlectl devices --json > "$LOGS/devices4.json" 2> "$LOGS/devices4.err"
  check "cradlectl devices exited $?" [ $? = 0 ] || return 1
  json "$LOGS/devices4.json" \
    "' '.join(sorted(d['id'] + '=' + str(d['serial']) for d in j if d['transport'] == 'usb')) + '\\n' +
     '|'.join(sorted(str(d['manufacturer']) + '/' + str(d['model']) for d in j if d['id'] != 'usb:1-1'))" \
    > "$LOGS/devices4.txt"
  found=$(sed -n 1p "$LOGS/devices4.txt")
  check "cradlectl devices listed '$found'" \
    [ "$found" = "usb:1-1=QEMU0001 usb:2-1=QEMU0002 usb:3-1=QEMU0003 usb:4-1=QEMU0004" ] || return 1
  named=$(sed -n 2p "$LOGS/devices4.txt")
  check "devices 2 to 4 are named '$named', not as configured" \
    [ "$named" = "Cradle Lab/Bench unit 1|Cradle Lab/Bench unit 2|Cradle Lab/Bench unit 3" ] || return 1
  pids=
  # Four enrollments at once, one per device (devices 1 to 3 pair first,
  # approved by their agents); device 0's user answers.
  pids=
  for n in 0 1 2 3; do
    "$PROBE" enroll "$(usb_id_of "$n")" "$(serial_of "$n") of four" > "$LOGS/four$n.log" 2>&1 &
    pids="$pids $!"
  done
  answer_steps 0 "$LOGS/four0.log" generate sign install || return 1
  n=0
  for pid in $pids; do
    wait "$pid"
    status=$?
    check "device $n's enrollment ended with $status: $(last_line "$LOGS/four$n.log")" [ $status = 0 ] || return 1
    n=$((n + 1))
  done
  # The probe checked each device lists its certificate bound to its key;
  # devices 1 to 3 hold only theirs (and its root), and no two are alike.
  for n in 1 2 3; do
    check "device $n: $(last_line "$LOGS/four$n.log")" has_line "$LOGS/four$n.log" "^done list certs=2 leaf=" || return 1
  done
  distinct=$(sed -n 's/^done list certs=[0-9]* leaf=//p' "$LOGS"/four?.log | sort -u | wc -l)
  check "$distinct distinct certificates on four devices" [ "$distinct" = 4 ]
}

case_gadget_down () {
  pids=
  for n in 0 1 2 3; do
    pids="$pids $(agent_pid "$n")"
  done
  # Three by name, at once; then the last with `down` alone (every gadget).
  downs=
  for n in 1 2 3; do
    sh "$GADGET_SCRIPT" down "device$n" > "$LOGS/gadget-down$n.log" 2>&1 &
    downs="$downs $!"
  done
  n=1
  for down in $downs; do
    wait "$down"
    status=$?
    check "cradle-gadget down device$n exited $status: $(last_line "$LOGS/gadget-down$n.log")" [ $status = 0 ] || return 1
    # Unbound, each agent ends on SIGTERM, not on the script's kill -9.
    check "device $n's agent did not stop by itself: $(last_line "$LOGS/gadget-down$n.log")" \
      has_line "$LOGS/gadget-down$n.log" "^cradle-gadget: the agent \(pid [0-9]+\) stopped\.$" || return 1
    n=$((n + 1))
  done
  check "device 0 went down with device 1 to 3" present 0 || return 1
  sh "$GADGET_SCRIPT" down > "$LOGS/gadget-down0.log" 2>&1
  check "cradle-gadget down exited $?: $(last_line "$LOGS/gadget-down0.log")" [ $? = 0 ] || return 1
  check "device 0's agent did not stop by itself: $(last_line "$LOGS/gadget-down0.log")" \
    has_line "$LOGS/gadget-down0.log" "^cradle-gadget: the agent \(pid [0-9]+\) stopped\.$" || return 1
  for n in 0 1 2 3; do
    check "device $n is still there" wait_for 30 absent "$n" || return 1
    check "device $n's gadget is still in configfs" [ ! -e "$(gadget_dir "$n")" ] || return 1
  done
  for pid in $pids; do
    check "agent $pid still runs" wait_for 30 gone "$pid" || return 1
  done
}

# in_endpoint_calls PID: how many of PID's threads wait in an endpoint
# file's read() or write()
in_endpoint_calls () {
  local t wchan n=0
  for t in /proc/"$1"/task/*; do
    wchan=
    read -r wchan 2>/dev/null < "$t/wchan"
    [ "$wchan" != ffs_epfile_io ] || n=$((n + 1))
  done
  echo "$n"
}
blocked_on_host () { [ "$(in_endpoint_calls "$1")" = 2 ]; }

case_agent_stops () {
  # Device 1 again, asking its user, and a user of this computer it does
  # not trust: the device asks whether to pair.
  check "device 1 did not come up again: $(last_line "$LOGS/agent1.log")" gadget_up 1 --confirm ask || return 1
  pid=$(agent_pid 1)
  export HOME=/run/stopper XDG_CONFIG_HOME=/run/stopper/config XDG_DATA_HOME=/run/stopper/data
  export XDG_STATE_HOME=/run/stopper/state XDG_CACHE_HOME=/run/stopper/cache
  probe_bg stop-pair pair usb:2-1
  host_env
  check "the device never asked about pairing" wait_for 60 has_line "$LOGS/stop-pair.log" "^waiting pair " || return 1
  # The host's program dies; the device stays plugged in and its agent's
  # KEEPALIVE waits in write() for a host that no longer reads, its reader
  # in read().
  kill -9 "$probe_pid"
  wait "$probe_pid" 2>/dev/null
  check "the agent's threads are not both waiting for the host ($(in_endpoint_calls "$pid") are)" \
    wait_for 30 blocked_on_host "$pid" || return 1
  snapshot 1 "$LOGS/stop.before"
  kill -TERM "$pid"
  check "the agent did not stop on SIGTERM" wait_for 30 gone "$pid" || return 1
  # Its messages go to its terminal.
  check "the agent did not end by itself: $(last_line "$LOGS/tty1.log")" \
    wait_for 30 has_line "$LOGS/tty1.log" "Stopped serving USB through /dev/ffs-device1" || return 1
  snapshot 1 "$LOGS/stop.after"
  check "the device's files changed: $(diff "$LOGS/stop.before" "$LOGS/stop.after" | tr '\n' ' ')" \
    cmp -s "$LOGS/stop.before" "$LOGS/stop.after" || return 1
  sh "$GADGET_SCRIPT" down device1 > "$LOGS/gadget-down-stopped.log" 2>&1
  check "cradle-gadget down device1 exited $?: $(last_line "$LOGS/gadget-down-stopped.log")" [ $? = 0 ] || return 1
  check "device 1 is still there" wait_for 30 absent 1 || return 1
  check "device 1's gadget is still in configfs" [ ! -e "$(gadget_dir 1)" ]
}

# ---- the run -------------------------------------------------------------

say "cases: ${CASES:-all}"
watched=0
monitor_pid=
mkdir -p /dev/pts
mount -t devpts -o ptmxmode=0666 devpts /dev/pts
if ! gadget_up 0 --confirm ask; then
  say "the first device did not come up:"
  cat "$LOGS/agent0.log"
  echo "usb-kernel-init-failed: cradle-gadget up did not bring device 0 up: $(last_line "$LOGS/agent0.log")"
  exit 1
fi
first_agent=$(agent_pid 0)

run_case devices-found
run_case device-identity
run_case pairing
run_case generate-confirmed
run_case sign-list-install
# The device monitor (CradleDeviceMonitor, polling here: no udevd) watches
# the first two unplugs and rebinds.
"$PROBE" monitor 600 > "$LOGS/monitor.log" 2>&1 &
monitor_pid=$!
wait_for 30 has_line "$LOGS/monitor.log" "^watching"
run_case unplug-during-pairing
run_case unplug-during-generate
run_case monitor-hotplug
kill "$monitor_pid" 2>/dev/null
monitor_pid=
run_case unplug-during-sign
run_case unplug-during-install
run_case unplug-during-delete
run_case rebind-resume
run_case four-devices
run_case gadget-down
run_case agent-stops

dmesg > "$LOGS/dmesg.txt"
say "done"
