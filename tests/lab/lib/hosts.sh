# shellcheck shell=bash
# The marked /etc/hosts block: DC and CA host names -> 127.0.0.1.
# GSSAPI needs the DC's real host name (the service ticket is for
# ldap/dc1.corp.example.test), and the lab has no DNS server.

HOSTS_FILE=${CRADLE_LAB_HOSTS_FILE:-/etc/hosts}
HOSTS_BEGIN='# cradle-lab begin'
HOSTS_END='# cradle-lab end'

hosts_block() {
    printf '%s\n' "$HOSTS_BEGIN" \
        '127.0.0.1	dc1.corp.example.test dc1 ca1.corp.example.test' \
        "$HOSTS_END"
}

# hosts_without_block: the hosts file minus our block, on stdout.
hosts_without_block() {
    awk -v b="$HOSTS_BEGIN" -v e="$HOSTS_END" '
        $0 == b { skip = 1; next }
        $0 == e { skip = 0; next }
        !skip' "$HOSTS_FILE"
}

# Rewrite in place (not rename): /etc/hosts is often a bind mount.
hosts_write() {
    local tmp
    tmp=$(mktemp)
    cat >"$tmp"
    cat "$tmp" >"$HOSTS_FILE"
    rm -f "$tmp"
}

hosts_has_block() {
    [ "$(awk -v b="$HOSTS_BEGIN" -v e="$HOSTS_END" '
        $0 == b { on = 1 } on { print } $0 == e { on = 0 }' "$HOSTS_FILE")" = "$(hosts_block)" ]
}

hosts_add() {
    hosts_has_block && return 0
    { hosts_without_block; hosts_block; } | hosts_write
    say "added the cradle-lab block to $HOSTS_FILE (dc1/ca1.corp.example.test -> 127.0.0.1)"
}

hosts_remove() {
    grep -qxF "$HOSTS_BEGIN" "$HOSTS_FILE" || return 0
    hosts_without_block | hosts_write
    say "removed the cradle-lab block from $HOSTS_FILE"
}
