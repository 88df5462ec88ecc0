#!/usr/bin/env python3
"""test-softhsm-fixture.py: the Python SoftHSM2 fixture others' tests use
(softhsm.py) does what it says, seen by OpenSC's pkcs11-tool. TAP."""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import softhsm  # noqa: E402

TESTS = []


def test(function):
    TESTS.append(function)
    return function


def slots(env, module=softhsm.MODULE):
    return subprocess.run(["pkcs11-tool", "--module", module, "--list-token-slots"],
                          env=env, check=True, capture_output=True, text=True).stdout


@test
def token_made():
    with tempfile.TemporaryDirectory() as folder:
        env, module = softhsm.make_token(folder, "fixture")
        assert module == softhsm.MODULE
        listing = slots(env)
        assert "token label        : fixture" in listing, listing
        assert "token initialized" in listing
        assert "user PIN locked" not in listing
        assert softhsm.count_objects(folder) == 0
        softhsm.pkcs11_tool(env, "fixture", "--keypairgen", "--key-type", "EC:prime256v1", "--id", "01")
        assert softhsm.count_objects(folder) == 2
        softhsm.add_token(env, "second")
        assert "token label        : second" in slots(env)
        assert "UseP11Kit=false" in softhsm.cradle_conf_tokens(module)


@test
def pin_locked():
    with tempfile.TemporaryDirectory() as folder:
        env, _ = softhsm.make_token(folder, "fixture")
        softhsm.lock_pin(folder)
        assert "user PIN locked" in slots(env)


@test
def mechanisms_limited():
    with tempfile.TemporaryDirectory() as folder:
        env, module = softhsm.make_token(folder, "fixture",
                                         mechanisms="CKM_RSA_PKCS_KEY_PAIR_GEN,CKM_RSA_PKCS")
        mechanisms = subprocess.run(["pkcs11-tool", "--module", module, "--list-mechanisms"],
                                    env=env, check=True, capture_output=True, text=True).stdout
        assert "RSA-PKCS-KEY-PAIR-GEN" in mechanisms
        assert "ECDSA" not in mechanisms, mechanisms


@test
def served_then_gone():
    if not os.path.exists(softhsm.SERVER) or not os.path.exists(softhsm.CLIENT):
        return "SKIP p11-kit's server or client is not installed"
    with tempfile.TemporaryDirectory() as folder:
        env, _ = softhsm.make_token(folder, "fixture")
        server = softhsm.Server(folder, env, "fixture")
        try:
            assert "token label        : fixture" in slots(server.env, server.module)
        finally:
            server.stop()
        gone = subprocess.run(["pkcs11-tool", "--module", server.module, "--list-token-slots"],
                              env=server.env, capture_output=True, text=True).stdout
        assert "fixture" not in gone, gone
    return None


def main():
    missing = softhsm.missing()
    print(f"1..{len(TESTS)}")
    failed = 0
    for number, function in enumerate(TESTS, 1):
        if missing:
            print(f"ok {number} {function.__name__} # SKIP {missing}")
            continue
        try:
            skip = function()
        except Exception as error:  # noqa: BLE001 - report every failure as TAP
            failed += 1
            print(f"not ok {number} {function.__name__}")
            for line in repr(error).splitlines():
                print(f"# {line}")
            continue
        print(f"ok {number} {function.__name__}" + (f" # {skip}" if skip else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
