# shellcheck shell=bash
# The Samba AD DC service of the lab: start, wait, stop, describe.

SAMBA_EXE=/usr/sbin/samba
# port:label pairs the DC must answer on before `up` reports success.
SAMBA_PORTS='389:LDAP 636:LDAPS 88:Kerberos'
# Also served (reported, not waited for).
SAMBA_EXTRA_PORTS='3268:GC 3269:GC-TLS 464:kpasswd 445:SMB 135:RPC'

samba_pidfile() { echo "$LAB_DIR/run/samba.pid"; }

# samba_pid: pid of the running lab samba root process, or fail.
samba_pid() { pidfile_pid "$(samba_pidfile)" "$SAMBA_EXE"; }

samba_ports_answer() {
    local pl
    for pl in $SAMBA_PORTS; do port_open "${pl%%:*}" || return 1; done
}

samba_log_tail() {
    local log=$LAB_DIR/log/samba.log
    if [ -s "$log" ]; then
        warn "last lines of $log:"
        tail -n 25 "$log" | sed 's/^/    /' >&2
    fi
    if [ -s "$LAB_DIR/log/samba.console" ]; then
        warn "samba's own output ($LAB_DIR/log/samba.console):"
        tail -n 10 "$LAB_DIR/log/samba.console" | sed 's/^/    /' >&2
    fi
}

# samba_rootdse URI: an anonymous rootDSE read answers.
samba_rootdse() {
    LDAPTLS_CACERT="$LAB_DIR/private/tls/ca.pem" LDAPTLS_REQCERT=never \
        timeout 5 ldapsearch -x -LLL -o nettimeout=3 -H "$1" -s base -b '' \
        defaultNamingContext >/dev/null 2>&1
}

samba_start() {
    local pl
    for pl in $SAMBA_PORTS; do
        if port_open "${pl%%:*}"; then
            die "127.0.0.1:${pl%%:*} (${pl#*:}) is already in use by a process that is not this lab's Samba (another lab folder running? see 'ss -ltnp')"
        fi
    done
    rm -f "$LAB_DIR"/run/*.pid
    mkdir -p "$LAB_DIR/run" "$LAB_DIR/log"
    # Clean environment; working directory = lab folder (how lab_pids finds
    # the daemons, whose titles do not name the folder).
    (
        cd "$LAB_DIR"
        exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
            KRB5_CONFIG="$LAB_DIR/etc/krb5.conf" \
            "$SAMBA_EXE" -D -s "$LAB_DIR/etc/smb.conf" -l "$LAB_DIR/log" \
            --option="log file=$LAB_DIR/log/samba.log" \
            </dev/null >>"$LAB_DIR/log/samba.console" 2>&1 9>&-
    ) || {
        local rc=$?
        samba_log_tail
        die "samba failed to start (exit $rc); see $LAB_DIR/log/samba.log"
    }
}

# samba_wait: until LDAP, LDAPS and the KDC answer (bounded).
samba_wait() {
    local start deadline pl port
    start=$(date +%s)
    deadline=$((start + LAB_WAIT_SECONDS))
    # samba -D returns once daemonised; the daemon writes its pid file.
    until samba_pid >/dev/null; do
        if [ "$(date +%s)" -ge $((start + 10)) ]; then
            samba_log_tail
            die "Samba exited during start-up (no live pid in $(samba_pidfile)); see $LAB_DIR/log/samba.log"
        fi
        sleep 0.1
    done
    for pl in $SAMBA_PORTS; do
        port=${pl%%:*}
        until port_open "$port"; do
            if ! samba_pid >/dev/null; then
                samba_log_tail
                die "Samba exited before answering on 127.0.0.1:$port (${pl#*:}); see $LAB_DIR/log/samba.log"
            fi
            if [ "$(date +%s)" -ge "$deadline" ]; then
                samba_log_tail
                die "Samba did not answer on 127.0.0.1:$port (${pl#*:}) within $LAB_WAIT_SECONDS s; see $LAB_DIR/log/samba.log"
            fi
            sleep 0.1
        done
    done
    until samba_rootdse ldap://127.0.0.1 && samba_rootdse ldaps://127.0.0.1; do
        if [ "$(date +%s)" -ge "$deadline" ]; then
            samba_log_tail
            die "Samba's LDAP ports are open but gave no rootDSE within $LAB_WAIT_SECONDS s; see $LAB_DIR/log/samba.log"
        fi
        sleep 0.2
    done
}

# samba_stop: the samba root process first (it ends its children), then
# anything of the lab still alive.
samba_stop() {
    local pid rest
    if pid=$(samba_pid); then
        say "stopping Samba (pid $pid)"
        stop_pids samba "$pid"
    fi
    mapfile -t rest < <(samba_lab_pids)
    if [ ${#rest[@]} -gt 0 ]; then
        say "stopping ${#rest[@]} leftover Samba process(es): ${rest[*]}"
        stop_pids "leftover" "${rest[@]}"
    fi
    rm -f "$LAB_DIR"/run/*.pid
}

# samba_status_line: prints a line, returns 0 running / 1 degraded / 3 stopped.
samba_status_line() {
    local pid n pl up='' down=''
    if ! pid=$(samba_pid); then
        printf '  %-8s stopped\n' samba
        return 3
    fi
    n=$(samba_lab_pids | wc -l)
    for pl in $SAMBA_PORTS $SAMBA_EXTRA_PORTS; do
        if port_open "${pl%%:*}"; then up+=" ${pl#*:} ${pl%%:*},"; else down+=" ${pl#*:} ${pl%%:*},"; fi
    done
    printf '  %-8s running, pid %s (%s processes); 127.0.0.1:%s\n' samba "$pid" "$n" "${up%,}"
    if [ -n "$down" ]; then
        printf '  %-8s not answering:%s\n' '' "${down%,}"
        samba_ports_answer || return 1
    fi
    return 0
}
