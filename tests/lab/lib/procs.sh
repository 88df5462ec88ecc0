# shellcheck shell=bash
# Finding and stopping the lab's processes.
#
# Samba rewrites its process titles ("samba: task[ldap] pre-fork master"),
# so the command line does not name the lab folder.  A lab process is a
# Samba daemon (by executable) whose working directory is the lab folder
# (cradle-lab starts it there) or whose command line names the lab folder
# (smbd/winbindd get --configfile=DIR/etc/smb.conf).  Nothing else is ever
# touched: an editor or `tail -f` on the lab's files is not ours to kill.

LAB_EXES='/usr/sbin/samba /usr/sbin/smbd /usr/sbin/winbindd'

# lab_pids: one pid per line.
lab_pids() {
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
