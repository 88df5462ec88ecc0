#!/usr/bin/env bash
# Builds one harness with clang's libFuzzer (+ ASan/UBSan) and fuzzes it for a
# bounded time from the committed corpus. Speaks TAP. New inputs go to a
# scratch folder; the committed corpus is only read.
#   run-libfuzzer.sh NAME SECONDS SOURCE_ROOT BUILD_ROOT
set -uo pipefail

name=$1 seconds=$2 src=$3 build=$4
extra_objects=()
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "1..1"
if ! command -v clang >/dev/null; then
  echo "ok 1 libFuzzer $name # SKIP clang is not installed (apt-get install clang libclang-rt-14-dev)"
  exit 0
fi

# The code under test: each harness links only what its decoder needs.
case $name in
  frame|message)
    sources=("$src/bridge/protocol/cradle-bridge-frame.c" "$src/bridge/protocol/cradle-bridge-cbor.c"
             "$src/bridge/protocol/cradle-bridge-message.c") ;;
  seal)
    sources=("$src/bridge/protocol/cradle-bridge-pairing.c" "$src/bridge/protocol/cradle-bridge-frame.c"
             "$src/core/base/cradle-certificate.c" "$src/core/base/cradle-x509-outline.c")
    extra_libs=libcrypto ;;
  der)
    sources=("$src/bridge/protocol/cradle-der.c") ;;
  pairing|hosts)
    sources=("$src/bridge/agent/cradle-agent-pairing.c" "$src/bridge/agent/cradle-agent-hosts.c"
             "$src/bridge/agent/cradle-agent-atomic.c" "$src/bridge/agent/cradle-agent-key-file.c"
             "$src/bridge/agent/cradle-agent-keystore-crypto.c" "$src/bridge/agent/cradle-agent-prompt.c"
             "$src/bridge/agent/cradle-agent-request-info.c" "$src/bridge/protocol/cradle-der.c"
             "$src/bridge/agent/cradle-agent-rsa-keygen.c" "$src/bridge/agent/cradle-agent-secure-memory.c"
             "$src/bridge/protocol/cradle-bridge-pairing.c" "$src/bridge/protocol/cradle-bridge-cbor.c"
             "$src/bridge/protocol/cradle-bridge-frame.c" "$src/core/base/cradle-certificate.c" "$src/core/base/cradle-x509-outline.c" "$src/core/base/cradle-text.c")
    extra_libs=libcrypto ;;
  security-descriptor)
    sources=("$src/core/directory/cradle-security-descriptor.c" "$src/core/directory/cradle-sid.c") ;;
  ces-endpoint)
    sources=("$src/core/catalog/cradle-ces-endpoint.c") ;;
  certsrv-page)
    sources=("$src/core/ca/certsrv/cradle-certsrv-page.c" "$src/core/ca/cradle-ca-answer.c"
             "$src/core/ca/cradle-ca-request.c" "$src/core/base/cradle-certificate.c" "$src/core/base/cradle-x509-outline.c"
             "$src/core/base/cradle-pkcs7.c" "$src/core/ca/cradle-html.c")
    extra_libs=libcrypto ;;
  wstep-result)
    sources=("$src/core/ca/wstep/cradle-wstep-message.c" "$src/core/ca/wstep/cradle-soap.c" "$src/core/ca/wstep/cradle-xml.c"
             "$src/core/ca/wstep/cradle-libxml.c" "$src/core/base/cradle-dlopen.c")
    extra_libs="libxml-2.0 libcrypto" ;;
  xcep-policy)
    sources=("$src/core/ca/wstep/cradle-enrollment-policy.c" "$src/core/ca/wstep/cradle-xcep.c"
             "$src/core/ca/wstep/cradle-soap.c" "$src/core/ca/wstep/cradle-xml.c" "$src/core/ca/wstep/cradle-libxml.c"
             "$src/core/base/cradle-dlopen.c" "$src/core/catalog/cradle-ces-endpoint.c" "$src/core/ca/wstep/cradle-endpoint-choice.c"
             "$src/core/base/cradle-certificate.c" "$src/core/base/cradle-x509-outline.c")
    extra_libs="libxml-2.0 libcrypto" ;;
  scep-check)
    sources=("$src/bridge/agent/cradle-agent-scep-check.c" "$src/bridge/protocol/cradle-der.c"
             "$src/bridge/agent/cradle-agent-keystore-crypto.c" "$src/bridge/agent/cradle-agent-rsa-keygen.c"
             "$src/bridge/agent/cradle-agent-secure-memory.c")
    extra_libs=libcrypto ;;
  renewal-check)
    sources=("$src/bridge/agent/cradle-agent-renewal-check.c" "$src/bridge/agent/cradle-agent-request-info.c"
             "$src/bridge/agent/cradle-agent-scep-check.c" "$src/bridge/protocol/cradle-der.c"
             "$src/bridge/agent/cradle-agent-keystore-crypto.c" "$src/bridge/agent/cradle-agent-rsa-keygen.c"
             "$src/bridge/agent/cradle-agent-secure-memory.c")
    extra_libs=libcrypto ;;
  request-info)
    sources=("$src/bridge/agent/cradle-agent-prompt.c" "$src/bridge/agent/cradle-agent-request-info.c"
             "$src/bridge/protocol/cradle-der.c" "$src/bridge/agent/cradle-agent-keystore-crypto.c"
             "$src/bridge/agent/cradle-agent-rsa-keygen.c" "$src/bridge/agent/cradle-agent-secure-memory.c"
             "$src/core/base/cradle-text.c" "$src/core/base/cradle-certificate.c" "$src/core/base/cradle-x509-outline.c")
    extra_libs=libcrypto ;;
  scep-answer)
    sources=("$src/core/ca/scep/cradle-scep-ca.c" "$src/core/ca/scep/cradle-scep-reply.c" "$src/core/ca/cradle-ca-answer.c" "$src/core/base/cradle-pkcs7.c"
             "$src/core/ca/cradle-ca-request.c" "$src/core/base/cradle-certificate.c" "$src/core/base/cradle-x509-outline.c")
    extra_libs=libcrypto ;;
  pkcs7-bag)
    sources=("$src/core/ca/cradle-ca-answer.c" "$src/core/base/cradle-pkcs7.c" "$src/core/ca/cradle-ca-request.c" "$src/core/base/cradle-certificate.c" "$src/core/base/cradle-x509-outline.c")
    extra_libs=libcrypto ;;
  spki)
    sources=("$src/core/csr/cradle-csr-public-key.c" "$src/core/csr/cradle-csr.c" "$src/core/csr/cradle-csr-name.c"
             "$src/core/csr/cradle-csr-extensions.c" "$src/core/csr/cradle-csr-assemble.c"
             "$src/core/base/cradle-certificate.c" "$src/core/base/cradle-x509-outline.c" "$src/core/base/cradle-secret.c" "$src/core/base/cradle-text.c")
    extra_libs=libcrypto ;;
  key-file|store-file|import-key)
    sources=("$src/bridge/agent/cradle-agent-keystore.c" "$src/bridge/agent/cradle-agent-keystore-certs.c"
             "$src/bridge/agent/cradle-agent-keystore-import.c"
             "$src/bridge/agent/cradle-agent-keystore-identity.c" "$src/bridge/agent/cradle-agent-keystore-scep.c" "$src/bridge/agent/cradle-agent-key-file.c"
             "$src/bridge/agent/cradle-agent-store-file.c" "$src/bridge/agent/cradle-agent-atomic.c"
             "$src/bridge/agent/cradle-agent-keystore-crypto.c" "$src/bridge/agent/cradle-agent-secure-memory.c"
             "$src/bridge/agent/cradle-agent-rsa-keygen.c" "$src/bridge/protocol/cradle-der.c"
             "$src/bridge/agent/cradle-agent-request-info.c" "$src/bridge/agent/cradle-agent-prompt.c"
             "$src/bridge/agent/cradle-agent-scep-check.c" "$src/bridge/agent/cradle-agent-keystore-renewal.c"
             "$src/core/base/cradle-digest.c"
             "$src/bridge/agent/cradle-agent-renewal-check.c"
             "$src/bridge/protocol/cradle-bridge-cbor.c" "$src/bridge/protocol/cradle-bridge-pairing.c" "$src/bridge/protocol/cradle-bridge-frame.c"
             "$src/core/base/cradle-certificate.c" "$src/core/base/cradle-x509-outline.c" "$src/core/base/cradle-text.c"
             "$src/tests/common/test-files.c")
    extra_includes="-I$src/bridge/agent -I$src/tests/common"
    extra_libs=libcrypto ;;
  token-output)
    sources=("$src/bridge/pkcs11/cradle-token-spki.c" "$src/bridge/protocol/cradle-der.c")
    extra_libs="libcrypto p11-kit-1" ;;
  ldap-entry)
    sources=("$src/core/directory/cradle-ldap-entry.c" "$src/core/directory/cradle-ldap.c" "$src/core/directory/cradle-libldap.c" "$src/core/base/cradle-dlopen.c"
             "$src/core/base/cradle-text.c")
    extra_libs="ldap lber" ;;
  revocation)
    sources=("$src/core/revocation/cradle-ocsp.c" "$src/core/revocation/cradle-crl.c" "$src/core/revocation/cradle-leaf.c"
             "$src/core/revocation/cradle-revocation-result.c" "$src/core/lifecycle/cradle-template-extension.c"
             "$src/bridge/protocol/cradle-der.c" "$src/core/base/cradle-x509-outline.c")
    extra_libs=libcrypto ;;
  cert-details)
    sources=("$src/core/lifecycle/cradle-cert-details.c" "$src/core/lifecycle/cradle-cert-names.c"
             "$src/core/lifecycle/cradle-template-extension.c" "$src/bridge/protocol/cradle-der.c"
             "$src/bridge/host/cradle-device-cert.c" "$src/core/base/cradle-certificate.c"
             "$src/core/base/cradle-x509-outline.c" "$src/core/base/cradle-text.c")
    extra_libs=libcrypto ;;
  catalog-cache)
    # The whole catalog is built from the file: its stages, less the network.
    sources=("$src"/core/catalog/*.c "$src"/core/directory/*.c "$src"/core/kerberos/*.c "$src"/core/csr/*.c
             "$src/core/policy/cradle-request-policy.c" "$src/core/base/cradle-certificate.c" "$src/core/base/cradle-x509-outline.c"
             "$src/core/base/cradle-dlopen.c" "$src/core/base/cradle-paths.c" "$src/core/base/cradle-settings.c" "$src/core/base/cradle-secret.c"
             "$src/core/base/cradle-text.c" "$src/core/base/cradle-explain.c" "$src/core/base/cradle-explain-table.c")
    extra_libs="ldap lber libcrypto krb5-gssapi krb5"
    # The lab's catalog file is 17 KiB.
    max_len=32768 ;;
  cert-file)
    # The file readers instrumented; what they call of the rest of libcradle
    # (the install half, the pending store) comes uninstrumented from the
    # build, as for provisioning below.
    sources=("$src/core/engine/cradle-cert-file.c" "$src/core/engine/cradle-cert-file-pkcs12.c"
             "$src/core/base/cradle-pkcs7.c" "$src/core/base/cradle-certificate.c"
             "$src/core/base/cradle-x509-outline.c" "$src/core/base/cradle-text.c" "$src/core/base/cradle-secret.c")
    extra_objects=("$build/core/libcradle-internal.a" "$build/bridge/host/libcradle-bridge-host.a"
                   "$build/bridge/pkcs11/libcradle-bridge-pkcs11.a"
                   "$build/bridge/protocol/libcradle-bridge-protocol.a" "$build/core/base/libcradle-base.a")
    extra_includes="-I/usr/include/mit-krb5"
    extra_libs="libxml-2.0 libcrypto libssl krb5-gssapi krb5 sqlite3 libusb-1.0 gobject-2.0 gio-unix-2.0 p11-kit-1" ;;
  provisioning)
    # The reader, the signature's envelope and the XML reader, instrumented;
    # the type-file parser each type is checked with pulls in the rest of
    # libcradle, which comes uninstrumented from the build (an archive
    # member is only taken for what the sources above do not define).
    sources=("$src/core/policy/cradle-provisioning-document.c" "$src/core/policy/cradle-provisioning-entry.c"
             "$src/core/policy/cradle-provisioning-windows.c" "$src/core/policy/cradle-provisioning-bundle.c"
             "$src/core/policy/cradle-provisioning-signature.c" "$src/core/policy/cradle-cert-type-file.c"
             "$src/core/ca/wstep/cradle-xml.c" "$src/core/ca/wstep/cradle-libxml.c" "$src/core/base/cradle-dlopen.c"
             "$src/core/base/cradle-certificate.c" "$src/core/base/cradle-x509-outline.c" "$src/core/base/cradle-text.c")
    extra_objects=("$build/core/libcradle-internal.a" "$build/bridge/host/libcradle-bridge-host.a"
                   "$build/bridge/pkcs11/libcradle-bridge-pkcs11.a"
                   "$build/bridge/protocol/libcradle-bridge-protocol.a" "$build/core/base/libcradle-base.a")
    extra_includes="-I/usr/include/mit-krb5"
    extra_libs="libxml-2.0 libcrypto libssl krb5-gssapi krb5 sqlite3 libusb-1.0 gobject-2.0 gio-unix-2.0 p11-kit-1" ;;
  attestation)
    # The check and the bounded DER reader instrumented; the chain the
    # harness signs with comes from tests/unit's helper.
    sources=("$src/bridge/pkcs11/cradle-attestation.c" "$src/bridge/protocol/cradle-der.c"
             "$src/tests/unit/attestation-test-pki.c" "$src/core/base/cradle-text.c"
             "$src/core/base/cradle-explain.c" "$src/core/base/cradle-explain-table.c")
    extra_includes="-I$src/tests/unit"
    extra_libs=libcrypto ;;
  batch-file)
    sources=("$src/core/engine/cradle-batch-file.c" "$src/core/base/cradle-file.c" "$src/core/base/cradle-text.c") ;;
  *)
    echo "not ok 1 libFuzzer $name: no sources are listed for it in run-libfuzzer.sh"
    exit 1 ;;
esac

# shellcheck disable=SC2046
if ! clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -DG_LOG_DOMAIN='"cradle-fuzz"' -DCRADLE_COMPILATION \
    -I"$build" -I"$src/include" -I"$src/bridge" -I"$src/core" -I"$src/tests/fuzz" ${extra_includes:-} \
    $(pkg-config --cflags glib-2.0 gio-2.0 libcbor libcrypto ${extra_libs:-}) \
    "$src/tests/fuzz/fuzz-$name.c" "${sources[@]}" "$src/core/base/cradle-error.c" \
    "$src/core/base/cradle-openssl.c" "${extra_objects[@]}" \
    $(pkg-config --libs glib-2.0 gio-2.0 libcbor libcrypto ${extra_libs:-}) \
    -o "$work/fuzz-$name" 2>"$work/build.log"; then
  echo "not ok 1 libFuzzer $name: the harness did not build"
  sed 's/^/# /' "$work/build.log"
  exit 1
fi

# Leaks inside a library a harness drives, not Cradle's, are listed in
# lsan-NAME.supp; matching them needs whole stacks, so malloc unwinds slowly.
if [[ -f "$src/tests/fuzz/lsan-$name.supp" ]]; then
  export LSAN_OPTIONS="suppressions=$src/tests/fuzz/lsan-$name.supp"
  export ASAN_OPTIONS="fast_unwind_on_malloc=0:malloc_context_size=16"
fi

mkdir -p "$work/corpus"
cp "$src/tests/fuzz/corpus/$name"/* "$work/corpus/"
"$work/fuzz-$name" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=1024 -max_len="${max_len:-4096}" \
  -print_final_stats=1 -artifact_prefix="$work/" "$work/corpus" >"$work/run.log" 2>&1
status=$?
runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/run.log" | grep -o '[0-9]*$')
if [[ $status -eq 0 ]]; then
  echo "ok 1 libFuzzer $name: ${runs:-?} inputs in ${seconds} s, no crash, leak or hang"
else
  echo "not ok 1 libFuzzer $name: it found a failure (exit $status)"
  grep -E 'ERROR|SUMMARY|Test unit written' "$work/run.log" | head -20 | sed 's/^/# /'
  mkdir -p "$build/fuzz-crashes" && cp "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$build/fuzz-crashes/" 2>/dev/null
fi
exit $status
