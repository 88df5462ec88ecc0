# shellcheck shell=bash
# The lab CA front-end (tests/lab/labca: HTTPS 443 + HTTP/AIA/CRL 80), its
# OCSP responder (8089) and the micromdm SCEP server (8088): start, wait,
# stop, describe.

CA_PORTS='443:HTTPS 80:HTTP-AIA-CRL'
SCEP_PORT=8088
OCSP_PORT=8089
CA_WAIT_SECONDS=${CRADLE_LAB_CA_WAIT:-20}

# labca COMMAND ARGS...: the CA's Python package (tests/lab/labca).
labca() {
    PYTHONPATH="$LAB_SRC${PYTHONPATH:+:$PYTHONPATH}" PYTHONDONTWRITEBYTECODE=1 \
        "$LAB_PYTHON" -m labca "$LAB_DIR" "$@"
}

_pid_from() {
    local pid
    [ -f "$1" ] || return 1
    pid=$(tr -dc '0-9' <"$1")
    [ -n "$pid" ] && pid_alive "$pid" && "$2" "$pid" || return 1
    echo "$pid"
}

ca_pid() { _pid_from "$LAB_DIR/run/ca.pid" is_ca_proc; }
scep_pid() { _pid_from "$LAB_DIR/run/scep.pid" is_scep_proc; }
ocsp_pid() { _pid_from "$LAB_DIR/run/ocsp.pid" is_ocsp_proc; }

ca_ports_answer() {
    local pl
    for pl in $CA_PORTS; do port_open "${pl%%:*}" || return 1; done
}

_log_tail() {
    if [ -s "$1" ]; then
        warn "last lines of $1:"
        tail -n 15 "$1" | sed 's/^/    /' >&2
    fi
}

# ca_prepare: TLS certificate of ca1, SCEP depot and challenge, lab.json
# facts; made once, when missing.
ca_prepare() {
    labca prepare || die "preparing the lab CA failed"
}

# ca_directory: what the CA needs in the running directory and lab.json
# (templates added after provisioning); run once Samba answers.
ca_directory() {
    labca directory || die "adding the lab CA's objects to the directory failed"
}

# _spawn LOG CMD...: a daemon in its own session, cwd = the lab folder,
# clean environment, not holding the lab lock (fd 9).
_spawn() {
    local logf=$1
    shift
    (
        cd "$LAB_DIR"
        exec setsid env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
            PYTHONPATH="$LAB_SRC" PYTHONDONTWRITEBYTECODE=1 \
            "$@" </dev/null >>"$logf" 2>&1 9>&-
    ) &
}

ca_start() {
    local pl
    if ca_pid >/dev/null; then return 0; fi
    for pl in $CA_PORTS; do
        if port_open "${pl%%:*}"; then
            die "127.0.0.1:${pl%%:*} (${pl#*:}) is already in use by a process that is not this lab's CA (see 'ss -ltnp')"
        fi
    done
    mkdir -p "$LAB_DIR/run" "$LAB_DIR/log"
    rm -f "$LAB_DIR/run/ca.pid"
    _spawn "$LAB_DIR/log/ca.console" "$LAB_PYTHON" -m labca "$LAB_DIR" serve \
        --pidfile "$LAB_DIR/run/ca.pid"
}

# ca_wait: the pid file appears once both sockets are bound.
ca_wait() {
    local deadline=$(( $(date +%s) + CA_WAIT_SECONDS ))
    until ca_pid >/dev/null && ca_ports_answer; do
        if [ "$(date +%s)" -ge "$deadline" ]; then
            _log_tail "$LAB_DIR/log/ca.console"
            _log_tail "$LAB_DIR/log/ca.log"
            die "the lab CA did not answer on 127.0.0.1:443 and :80 within $CA_WAIT_SECONDS s; see $LAB_DIR/log/ca.log"
        fi
        sleep 0.1
    done
}

ocsp_start() {
    if ocsp_pid >/dev/null; then return 0; fi
    port_open "$OCSP_PORT" &&
        die "127.0.0.1:$OCSP_PORT (OCSP) is already in use by a process that is not this lab's OCSP responder (see 'ss -ltnp')"
    mkdir -p "$LAB_DIR/run" "$LAB_DIR/log"
    rm -f "$LAB_DIR/run/ocsp.pid"
    _spawn "$LAB_DIR/log/ocsp.console" "$LAB_PYTHON" -m labca "$LAB_DIR" ocsp \
        --pidfile "$LAB_DIR/run/ocsp.pid"
}

ocsp_wait() {
    local deadline=$(( $(date +%s) + CA_WAIT_SECONDS ))
    until ocsp_pid >/dev/null && port_open "$OCSP_PORT"; do
        if [ "$(date +%s)" -ge "$deadline" ]; then
            _log_tail "$LAB_DIR/log/ocsp.console"
            die "the OCSP responder did not answer on 127.0.0.1:$OCSP_PORT within $CA_WAIT_SECONDS s; see $LAB_DIR/log/ocsp.log"
        fi
        sleep 0.1
    done
}

scep_start() {
    if scep_pid >/dev/null; then return 0; fi
    port_open "$SCEP_PORT" &&
        die "port $SCEP_PORT (SCEP) is already in use by a process that is not this lab's scepserver (see 'ss -ltnp')"
    rm -f "$LAB_DIR/run/scep.pid"
    _spawn "$LAB_DIR/log/scep.log" "$LAB_PYTHON" -m labca "$LAB_DIR" scep-exec \
        --pidfile "$LAB_DIR/run/scep.pid"
}

scep_wait() {
    local deadline=$(( $(date +%s) + CA_WAIT_SECONDS ))
    until scep_pid >/dev/null && port_open "$SCEP_PORT"; do
        if [ "$(date +%s)" -ge "$deadline" ]; then
            _log_tail "$LAB_DIR/log/scep.log"
            die "scepserver did not answer on port $SCEP_PORT within $CA_WAIT_SECONDS s; see $LAB_DIR/log/scep.log"
        fi
        sleep 0.1
    done
}

# _stop_set LABEL PIDFILE FINDER: the recorded pid and any other match.
_stop_set() {
    local label=$1 pidfile=$2 finder=$3 pids
    mapfile -t pids < <("$finder")
    if [ ${#pids[@]} -gt 0 ]; then
        say "stopping $label (pid ${pids[*]})"
        stop_pids "$label" "${pids[@]}"
    fi
    rm -f "$pidfile"
}

ca_stop() { _stop_set "the lab CA" "$LAB_DIR/run/ca.pid" ca_lab_pids; }
scep_stop() { _stop_set "scepserver" "$LAB_DIR/run/scep.pid" scep_lab_pids; }
ocsp_stop() { _stop_set "the OCSP responder" "$LAB_DIR/run/ocsp.pid" ocsp_lab_pids; }

# Status lines: 0 running, 1 degraded, 3 stopped.
ca_status_line() {
    local pid pl up='' down=''
    if ! pid=$(ca_pid); then
        printf '  %-8s stopped\n' ca
        return 3
    fi
    for pl in $CA_PORTS; do
        if port_open "${pl%%:*}"; then up+=" ${pl#*:} ${pl%%:*},"; else down+=" ${pl#*:} ${pl%%:*},"; fi
    done
    printf '  %-8s running, pid %s; 127.0.0.1:%s (https://%s/)\n' ca "$pid" "${up%,}" ca1.corp.example.test
    if [ -n "$down" ]; then
        printf '  %-8s not answering:%s\n' '' "${down%,}"
        return 1
    fi
    return 0
}

ocsp_status_line() {
    local pid
    if ! pid=$(ocsp_pid); then
        printf '  %-8s stopped\n' ocsp
        return 3
    fi
    if port_open "$OCSP_PORT"; then
        printf '  %-8s running, pid %s; 127.0.0.1:%s (http://ca1.corp.example.test:%s/ocsp)\n' ocsp "$pid" "$OCSP_PORT" "$OCSP_PORT"
        return 0
    fi
    printf '  %-8s running, pid %s, but 127.0.0.1:%s does not answer\n' ocsp "$pid" "$OCSP_PORT"
    return 1
}

scep_status_line() {
    local pid
    if ! pid=$(scep_pid); then
        printf '  %-8s stopped\n' scep
        return 3
    fi
    if port_open "$SCEP_PORT"; then
        printf '  %-8s running, pid %s; port %s (http://127.0.0.1:%s/scep)\n' scep "$pid" "$SCEP_PORT" "$SCEP_PORT"
        return 0
    fi
    printf '  %-8s running, pid %s, but port %s does not answer\n' scep "$pid" "$SCEP_PORT"
    return 1
}
