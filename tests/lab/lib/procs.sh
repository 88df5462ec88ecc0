# shellcheck shell=bash
# Finding and stopping the lab's processes: Samba, the lab CA (Python,
# labca serve), its OCSP responder (labca ocsp) and the SCEP server (scepserver).
#
# Samba rewrites its process titles ("samba: task[ldap] pre-fork master"),
# so the command line does not name the lab folder.  A lab process is a
# Samba daemon (by executable) whose working directory is the lab folder
# (cradle-lab starts it there) or whose command line names the lab folder
# (smbd/winbindd get --configfile=DIR/etc/smb.conf).  Nothing else is ever
# touched: an editor or `tail -f` on the lab's files is not ours to kill.

LAB_EXES='/usr/sbin/samba /usr/sbin/smbd /usr/sbin/winbindd'
SCEP_EXE=/usr/bin/scepserver

# lab_pids: every process of the lab (Samba, CA, SCEP), one pid per line.
lab_pids() {
    samba_lab_pids
    ca_lab_pids
    ocsp_lab_pids
    scep_lab_pids
}

# _cmdline_has PID WORD...: each WORD is one whole argument of PID.
_cmdline_has() {
    local p=$1 args w
    shift
    args=$(tr '\0' '\n' <"/proc/$p/cmdline" 2>/dev/null) || return 1
    for w in "$@"; do
        grep -qxF -- "$w" <<<"$args" || return 1
    done
}

# is_ca_proc PID: Debian's Python running `-m labca LAB_DIR serve`.
is_ca_proc() {
    local exe
    exe=$(readlink "/proc/$1/exe" 2>/dev/null) || return 1
    case $exe in /usr/bin/python3*) ;; *) return 1 ;; esac
    _cmdline_has "$1" labca "$LAB_DIR" serve
}

# is_ocsp_proc PID: Debian's Python running `-m labca LAB_DIR ocsp`.
is_ocsp_proc() {
    local exe
    exe=$(readlink "/proc/$1/exe" 2>/dev/null) || return 1
    case $exe in /usr/bin/python3*) ;; *) return 1 ;; esac
    _cmdline_has "$1" labca "$LAB_DIR" ocsp
}

# is_scep_proc PID: scepserver serving this lab's depot.
is_scep_proc() {
    [ "$(readlink "/proc/$1/exe" 2>/dev/null)" = "$SCEP_EXE" ] &&
        _cmdline_has "$1" "$LAB_DIR/scep/depot"
}

# pgrep narrows the candidates; the is_* checks decide.
ca_lab_pids() {
    local p
    for p in $(pgrep -f -- 'labca' 2>/dev/null); do
        is_ca_proc "$p" && echo "$p"
    done
    return 0
}

ocsp_lab_pids() {
    local p
    for p in $(pgrep -f -- 'labca' 2>/dev/null); do
        is_ocsp_proc "$p" && echo "$p"
    done
    return 0
}

scep_lab_pids() {
    local p
    for p in $(pgrep -x scepserver 2>/dev/null); do
        is_scep_proc "$p" && echo "$p"
    done
    return 0
}

# samba_lab_pids: the Samba daemons of this lab, one pid per line.
samba_lab_pids() {
    local p exe cwd
    for p in /proc/[0-9]*; do
        p=${p#/proc/}
        exe=$(readlink "/proc/$p/exe" 2>/dev/null) || continue
        case " $LAB_EXES " in *" $exe "*) ;; *) continue ;; esac
        cwd=$(readlink "/proc/$p/cwd" 2>/dev/null) || cwd=
        if [ "$cwd" = "$LAB_DIR" ] || [ "${cwd#"$LAB_DIR"/}" != "$cwd" ] ||
            tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF -- "$LAB_DIR/"; then
            echo "$p"
        fi
    done
}

pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

# pidfile_pid FILE EXE: the pid in FILE if that process runs EXE from the lab.
pidfile_pid() {
    local pid
    [ -f "$1" ] || return 1
    pid=$(tr -dc '0-9' <"$1")
    [ -n "$pid" ] && pid_alive "$pid" || return 1
    [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$2" ] || return 1
    [ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" = "$LAB_DIR" ] || return 1
    echo "$pid"
}

# wait_gone SECONDS PID...: wait until none of the pids is alive.
wait_gone() {
    local deadline=$(( $(date +%s) + $1 )) p any
    shift
    while :; do
        any=
        for p in "$@"; do pid_alive "$p" && { any=1; break; }; done
        [ -z "$any" ] && return 0
        [ "$(date +%s)" -ge "$deadline" ] && return 1
        sleep 0.1
    done
}

# stop_pids LABEL PID...: SIGTERM, bounded wait, then SIGKILL.
stop_pids() {
    local label=$1 p left=()
    shift
    [ $# -gt 0 ] || return 0
    kill -TERM "$@" 2>/dev/null || true
    kill -CONT "$@" 2>/dev/null || true   # a stopped process acts on TERM only once continued
    wait_gone 10 "$@" && return 0
    for p in "$@"; do pid_alive "$p" && left+=("$p"); done
    warn "$label: ${#left[@]} process(es) ignored SIGTERM for 10 s, sending SIGKILL: ${left[*]}"
    kill -KILL "${left[@]}" 2>/dev/null || true
    wait_gone 5 "${left[@]}"
}
