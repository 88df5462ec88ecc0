#!/bin/bash
# tpm2-token-setup.sh FOLDER PORT: makes the tpm2-pkcs11 token "tpm" (user
# PIN 1234, officer PIN 12345678) in FOLDER/store on the software TPM
# (swtpm) listening on 127.0.0.1:PORT. Run under dbus-run-session: the
# token tool needs tpm2-abrmd's resource manager, which runs only while
# the token is made; the module itself then talks to swtpm directly.
set -u
folder=$1 port=$2
mkdir -p "$folder/store"
tpm2-abrmd --session --allow-root --tcti="swtpm:host=127.0.0.1,port=$port" >"$folder/abrmd.log" 2>&1 &
abrmd=$!
trap 'kill $abrmd 2>/dev/null; wait $abrmd 2>/dev/null' EXIT
export TPM2TOOLS_TCTI="tabrmd:bus_type=session" TPM2_PKCS11_TCTI="tabrmd:bus_type=session" TSS2_LOG="all+NONE"
for _ in $(seq 100); do
  tpm2_getcap properties-fixed >/dev/null 2>&1 && break
  sleep 0.1
done
tpm2_ptool init --path "$folder/store" >/dev/null &&
  tpm2_ptool addtoken --pid=1 --label=tpm --sopin=12345678 --userpin=1234 --path "$folder/store" >/dev/null
