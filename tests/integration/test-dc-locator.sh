#!/usr/bin/env bash
# Finding the domain controller in DNS, for real: cradlectl without --dc in
# a mount namespace whose /etc/resolv.conf names a DNS server on loopback
# that holds the domain's _ldap._tcp.dc._msdcs SRV records. TAP.
set -uo pipefail

lab="${CRADLE_SOURCE_ROOT:?}/tests/lab/cradle-lab"
cradlectl="${CRADLE_BUILD_ROOT:?}/cli/cradlectl"
here="${CRADLE_SOURCE_ROOT}/tests/integration"
dns_address=127.0.0.53
n=0
failed=0

ok() {
  n=$((n + 1))
  if [[ $1 -eq 0 ]]; then echo "ok $n $2"; else echo "not ok $n $2"; failed=1; fi
}

if ! "$lab" status >/dev/null 2>&1; then
  echo "1..0 # SKIP the lab is not running; start it with tests/lab/cradle-lab up"
  exit 0
fi
if [[ $(id -u) -ne 0 ]] || ! command -v unshare >/dev/null; then
  echo "1..0 # SKIP needs root and unshare to give cradlectl its own /etc/resolv.conf"
  exit 0
fi
if ss -Hlun "( sport = :53 )" 2>/dev/null | grep -q "$dns_address:53"; then
  dns_address=127.0.0.54
fi

eval "$("$lab" env)"
# The env names the DC (CRADLE_DC, and the lab's cradle.conf): this test
# is about finding it in DNS without them.
unset CRADLE_DC CRADLE_DOMAIN CRADLE_CONFIG_DIR
work=$(mktemp -d)
trap 'kill $dns_pid 2>/dev/null; rm -rf "$work"' EXIT
echo "nameserver $dns_address" >"$work/resolv.conf"
# The first controller listed is down: cradlectl must go on to the next.
/usr/bin/python3 "$here/fake-dns.py" "$dns_address" \
  "_ldap._tcp.dc._msdcs.$CRADLE_LAB_DOMAIN=down.$CRADLE_LAB_DOMAIN:1,${CRADLE_LAB_LDAP_URI#ldap://}:389" \
  >"$work/dns.out" 2>&1 &
dns_pid=$!
for _ in $(seq 50); do grep -q ready "$work/dns.out" 2>/dev/null && break; sleep 0.1; done

echo "1..3"
in_namespace() {
  unshare --mount sh -c 'mount --bind "$0" /etc/resolv.conf && shift && exec "$@"' "$work/resolv.conf" - "$@"
}
"$lab" kinit alice >/dev/null 2>&1
ccache=$CRADLE_LAB_ALICE_CCACHE

out=$(in_namespace "$cradlectl" whoami --json --domain "$CRADLE_LAB_DOMAIN" --ccache "$ccache" 2>"$work/err")
status=$?
[[ $status -eq 0 ]] && grep -q '"account" : "alice"' <<<"$out"
ok $? "--domain finds the DC through its SRV records, past one that is down"
[[ $status -eq 0 ]] || sed 's/^/# /' "$work/err"

out=$(KRB5CCNAME=$ccache in_namespace "$cradlectl" whoami --json 2>"$work/err")
[[ $? -eq 0 ]] && grep -q '"account" : "alice"' <<<"$out"
ok $? "no --dc and no --domain: the default realm's domain is looked up"

in_namespace "$cradlectl" whoami --domain nowhere.example.test --ccache "$ccache" >/dev/null 2>"$work/err"
status=$?
[[ $status -eq 4 ]] && grep -q "No domain controller of nowhere.example.test" "$work/err"
ok $? "a domain without SRV records: exit 4, and the error says what to do"

exit $failed
