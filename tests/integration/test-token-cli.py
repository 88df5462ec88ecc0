#!/usr/bin/env python3
"""test-token-cli.py: cradlectl with PKCS#11 tokens (SoftHSM2), no lab:

- `cradlectl devices` lists a token only with --pkcs11-module (p11-kit's
  configured modules are off in the test's cradle.conf): transport pkcs11,
  its URI as id, label, manufacturer, model, serial and PIN state, in text
  and JSON; a hostile label reaches neither raw;
- --device takes a pkcs11: URI with only some of the token's attributes;
  one naming no token is "device absent" (exit 6);
- a wrong PIN from --pin-file: exit 4 (AUTH_FAILED) with the token's words
  and detail, the PIN itself nowhere; the listing then says a wrong PIN was
  entered before; the right PIN then works (status checks the keys);
- status without a PIN leaves the token alone and says why;
- no terminal and no --pin-file: exit 4, saying to give --pin-file;
- a locked PIN (the flag set in SoftHSM2's stored token, tests/token/
  softhsm.py): listed as locked, refused with TOKEN_PIN_LOCKED (exit 7),
  the diagnosis's PIN check failed with that detail;
- a key type the token does not offer (its module offers EC key pairs only,
  SoftHSM2's slots.mechanisms) is refused before anything is made or sent:
  no object on the token, no request kept, the CA's address (a closed
  port) never tried.

Skips when SoftHSM2 is not installed.  TAP on stdout.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile

BUILD = os.environ.get("CRADLE_BUILD_ROOT", "")
SOURCE = os.environ.get("CRADLE_SOURCE_ROOT", "")
sys.path.insert(0, os.path.join(SOURCE, "tests", "token"))
import softhsm  # noqa: E402  (lock_pin: the locked flag SoftHSM2 never sets itself)
CRADLECTL = os.path.join(BUILD, "cli", "cradlectl")
SOFTHSM = "/usr/lib/softhsm/libsofthsm2.so"
PIN = "1234"
WRONG_PIN = "987654"
RAW = ["\x1b", "\x07"]


class Tap:
    def __init__(self):
        self.results = []

    def check(self, name, condition, detail=""):
        self.results.append((name, bool(condition), detail))

    def finish(self):
        print("1..%d" % len(self.results))
        failed = 0
        for number, (name, passed, detail) in enumerate(self.results, 1):
            print("%s %d - %s" % ("ok" if passed else "not ok", number, name))
            if not passed:
                failed += 1
                for line in str(detail).splitlines():
                    print("# " + line)
        return 1 if failed else 0


def make_token(folder, label, mechanisms=None):
    """A SoftHSM2 token folder and conf of its own; returns SOFTHSM2_CONF."""
    tokens = os.path.join(folder, "tokens")
    os.makedirs(tokens)
    conf = os.path.join(folder, "softhsm2.conf")
    with open(conf, "w") as f:
        f.write("directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n" % tokens)
        if mechanisms:
            f.write("slots.mechanisms = %s\n" % mechanisms)
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", label, "--so-pin", "12345678",
                    "--pin", PIN], env=dict(os.environ, SOFTHSM2_CONF=conf), check=True,
                   capture_output=True)
    return conf


def environment(home, conf):
    env = dict(os.environ)
    for name in ("CRADLE_DOMAIN", "CRADLE_DC", "CRADLE_USER", "CRADLE_CCACHE"):
        env.pop(name, None)
    config = os.path.join(home, "config")
    os.makedirs(os.path.join(config, "types.d"), exist_ok=True)
    with open(os.path.join(config, "cradle.conf"), "w") as f:
        f.write("[Tokens]\nUseP11Kit=false\n")
    env.update({
        "LANG": "C.UTF-8",
        "SOFTHSM2_CONF": conf,
        "CRADLE_CONFIG_DIR": config,
        "CRADLE_SYSTEM_CONFIG_DIR": os.path.join(home, "system-config"),
        "CRADLE_STATE_DIR": os.path.join(home, "state"),
        "CRADLE_CACHE_DIR": os.path.join(home, "cache"),
        "CRADLE_RUNTIME_DIR": os.path.join(home, "run"),
        "KRB5CCNAME": "FILE:" + os.path.join(home, "no-ccache"),
    })
    return env


def cradlectl(env, *args, stdin=None):
    # A session of its own: no controlling terminal to ask a PIN on.
    done = subprocess.run([CRADLECTL] + list(args), capture_output=True, text=True, env=env, timeout=120,
                          input=stdin, start_new_session=True)
    return done.returncode, done.stdout, done.stderr


def json_of(text):
    try:
        return json.loads(text)
    except ValueError:
        return None


def tokens_in(listing):
    return [d for d in (listing or []) if d.get("transport") == "pkcs11"]


def object_count(conf, label):
    """The objects on the token (with the PIN, so private ones count)."""
    done = subprocess.run(["pkcs11-tool", "--module", SOFTHSM, "--token-label", label, "--login",
                           "--pin", PIN, "--list-objects"], capture_output=True, text=True,
                          env=dict(os.environ, SOFTHSM2_CONF=conf))
    return sum(1 for line in done.stdout.splitlines() if line.rstrip().endswith("Object;") or
               line.startswith(("Private Key Object", "Public Key Object", "Certificate Object", "Data object")))


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    tap = Tap()
    if not os.path.exists(SOFTHSM) or shutil.which("softhsm2-util") is None:
        print("1..0 # SKIP SoftHSM2 is not installed")
        return 0
    home = tempfile.mkdtemp(prefix="cradle-token-cli-")
    try:
        run(tap, home)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return tap.finish()


def run(tap, home):
    label = "cradle-cli"
    conf = make_token(os.path.join(home, "softhsm"), label)
    env = environment(home, conf)
    module = ["--pkcs11-module", SOFTHSM]

    # ---- listing --------------------------------------------------------
    rc, out, err = cradlectl(env, "devices", "--json")
    tap.check("without --pkcs11-module (UseP11Kit=false) no token is listed",
              rc == 0 and tokens_in(json_of(out)) == [], "rc=%d\n%s\n%s" % (rc, out, err))

    rc, out, err = cradlectl(env, "devices", "--json", *module)
    listing = tokens_in(json_of(out))
    token = listing[0] if len(listing) == 1 else {}
    tap.check("devices --json lists the token once", rc == 0 and len(listing) == 1,
              "rc=%d\n%s\n%s" % (rc, out, err))
    tap.check("its id is its pkcs11: URI", token.get("id", "").startswith("pkcs11:") and
              "token=" + label in token.get("id", ""), json.dumps(token))
    tap.check("label, manufacturer, model and serial are the token's",
              token.get("label") == label and token.get("manufacturer") == "SoftHSM project" and
              token.get("model") == "SoftHSM v2" and len(token.get("serial") or "") > 0, json.dumps(token))
    tap.check("the PIN state is 'needed', no pinpad",
              token.get("pin_state") == "needed" and token.get("pinpad") is False, json.dumps(token))

    rc, out, err = cradlectl(env, "devices", *module)
    tap.check("devices (text) names the token, its label and its PIN state",
              rc == 0 and "token 'cradle-cli'" in out and "PIN needed" in out and "SoftHSM v2" in out,
              out + err)

    # ---- a hostile label --------------------------------------------------
    hostile_conf = make_token(os.path.join(home, "softhsm-hostile"), "evil\x1b[2J\x07label")
    hostile_env = dict(env, SOFTHSM2_CONF=hostile_conf)
    rc, out, err = cradlectl(hostile_env, "devices", *module)
    rc_json, out_json, err_json = cradlectl(hostile_env, "devices", "--json", *module)
    tap.check("a hostile label reaches neither the text nor the JSON raw",
              rc == 0 and rc_json == 0 and "evil" in out and "evil" in out_json and
              not any(c in out + err + out_json + err_json for c in RAW), repr(out) + repr(out_json))

    # ---- --device by URI ------------------------------------------------
    pin_file = os.path.join(home, "pin")
    with open(pin_file, "w") as f:
        f.write(PIN + "\n")
    wrong_file = os.path.join(home, "wrong-pin")
    with open(wrong_file, "w") as f:
        f.write(WRONG_PIN + "\n")

    rc, out, err = cradlectl(env, "status", "--json", "--device", "pkcs11:token=" + label, *module)
    report = json_of(out) or {}
    tap.check("status --device pkcs11:token=LABEL finds the token without asking a PIN",
              rc == 0 and report.get("device") == token.get("id") and report.get("pin_state") == "needed" and
              report.get("keys_checked") is False, "rc=%d\n%s\n%s" % (rc, out, err))
    rc, out, err = cradlectl(env, "status", "--device", "pkcs11:token=" + label, *module)
    tap.check("status without a PIN says the token's keys were not checked, and why",
              rc == 0 and "only after its PIN" in out, out + err)

    rc, out, err = cradlectl(env, "status", "--json", "--device", "pkcs11:token=no-such-token", *module)
    tap.check("a URI naming no token: device absent (exit 6)", rc == 6, "rc=%d\n%s\n%s" % (rc, out, err))

    # ---- diagnose: the device hop of a token ----------------------------
    rc, out, err = cradlectl(env, "diagnose", "--json", "--timeout", "1", "--device", "pkcs11:token=" + label,
                             *module)
    report = json_of(out) or {}
    device_hop = next((h for h in report.get("hops", []) if h.get("hop") == "device"), {})
    checks = {c.get("name"): c for c in device_hop.get("checks", [])}
    tap.check("diagnose: the token is chosen by URI, through its module",
              checks.get("transport", {}).get("verdict") == "ok" and
              "PKCS#11" in checks.get("transport", {}).get("found", ""), json.dumps(device_hop, indent=1))
    tap.check("diagnose: its session opens and its details are the token's",
              checks.get("hello", {}).get("verdict") == "ok" and checks.get("info", {}).get("verdict") == "ok" and
              label in checks.get("info", {}).get("found", ""), json.dumps(device_hop, indent=1))
    tap.check("diagnose: the PIN state instead of pairing, no PIN tried",
              checks.get("pairing", {}).get("verdict") == "ok" and
              "PIN is needed" in checks.get("pairing", {}).get("found", "") and
              checks.get("key-types", {}).get("verdict") == "ok" and
              "p256" in checks.get("key-types", {}).get("found", ""), json.dumps(device_hop, indent=1))
    rc, out, err = cradlectl(env, "devices", "--json", *module)
    tap.check("diagnose: the PIN state is untouched afterwards",
              [t.get("pin_state") for t in tokens_in(json_of(out))] == ["needed"], out + err)

    # ---- a wrong PIN, then the right one --------------------------------
    rc, out, err = cradlectl(env, "status", "--json", "--device", token.get("id", "pkcs11:"),
                             "--pin-file", wrong_file, *module)
    failure = (json_of(out) or {}).get("error") or {}
    tap.check("a wrong PIN: exit 4 (AUTH_FAILED)", rc == 4 and failure.get("code") == "auth-failed",
              "rc=%d\n%s\n%s" % (rc, out, err))
    tap.check("a wrong PIN: the token's words and detail", bool(failure.get("detail")) and
              "PIN" in failure.get("detail", "") and bool(failure.get("next_step")) and
              "PIN" in failure.get("message", ""), json.dumps(failure))
    tap.check("a wrong PIN: the PIN itself is nowhere", WRONG_PIN not in out + err, out + err)
    rc, out, err = cradlectl(env, "devices", "--json", *module)
    after = tokens_in(json_of(out))
    tap.check("after a wrong PIN the listing says one was entered before",
              len(after) == 1 and after[0].get("pin_state") in ("count-low", "final-try"), out + err)

    rc, out, err = cradlectl(env, "status", "--json", "--device", token.get("id", "pkcs11:"),
                             "--pin-file", "-", *module, stdin=PIN + "\n")
    report = json_of(out) or {}
    tap.check("the right PIN on standard input: status checks the keys",
              rc == 0 and report.get("pin_state") == "entered" and report.get("keys_checked") is True,
              "rc=%d\n%s\n%s" % (rc, out, err))
    tap.check("the right PIN is nowhere in what cradlectl printed", PIN not in err, err)

    # ---- a locked PIN ---------------------------------------------------
    locked_label = "cradle-locked"
    locked_folder = os.path.join(home, "softhsm-locked")
    locked_conf = make_token(locked_folder, locked_label)
    softhsm.lock_pin(locked_folder)
    locked_env = dict(env, SOFTHSM2_CONF=locked_conf)
    rc, out, err = cradlectl(locked_env, "devices", "--json", *module)
    tap.check("a locked PIN: the listing says so",
              [t.get("pin_state") for t in tokens_in(json_of(out))] == ["locked"], out + err)
    rc, out, err = cradlectl(locked_env, "status", "--json", "--device", "pkcs11:token=" + locked_label,
                             "--pin-file", pin_file, *module)
    failure = (json_of(out) or {}).get("error") or {}
    tap.check("a locked PIN: refused with its own words (exit 7, TOKEN_PIN_LOCKED)",
              rc == 7 and failure.get("detail") == "TOKEN_PIN_LOCKED" and "locked" in failure.get("message", ""),
              "rc=%d\n%s\n%s" % (rc, out, err))
    rc, out, err = cradlectl(locked_env, "diagnose", "--json", "--timeout", "1", "--device",
                             "pkcs11:token=" + locked_label, *module)
    device_hop = next((h for h in (json_of(out) or {}).get("hops", []) if h.get("hop") == "device"), {})
    pin_check = next((c for c in device_hop.get("checks", []) if c.get("name") == "pairing"), {})
    tap.check("a locked PIN: the diagnosis fails its PIN check with the detail",
              pin_check.get("verdict") == "failed" and
              (pin_check.get("error") or {}).get("detail") == "TOKEN_PIN_LOCKED", json.dumps(device_hop, indent=1))

    # ---- a key type the token does not offer ----------------------------
    ec_label = "cradle-ec-only"
    ec_conf = make_token(os.path.join(home, "softhsm-ec"), ec_label,
                         mechanisms="CKM_EC_KEY_PAIR_GEN,CKM_ECDSA,CKM_SHA256")
    ec_env = dict(env, SOFTHSM2_CONF=ec_conf)
    anchor = os.path.join(home, "anchor.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-keyout", os.path.join(home, "anchor.key"), "-out", anchor, "-subj",
                    "/CN=Cradle test anchor", "-days", "1"], check=True, capture_output=True)
    port = closed_port()
    with open(os.path.join(env["CRADLE_CONFIG_DIR"], "types.d", "token-rsa.conf"), "w") as f:
        f.write("[Cradle Certificate Type]\nName=token-rsa\nDisplayName=token-rsa\nProtocol=est\n"
                "URL=https://127.0.0.1:%d/.well-known/est\nAuth=none\nKeyType=rsa2048\nTrustAnchors=%s\n"
                % (port, anchor))
    # ---- no terminal, no --pin-file ------------------------------------
    rc, out, err = cradlectl(env, "enroll", "--json", "--type", "token-rsa", "--device", token.get("id", "pkcs11:"),
                             *module)
    failure = (json_of(out) or {}).get("error") or {}
    tap.check("no terminal and no --pin-file: exit 4, saying to give --pin-file",
              rc == 4 and "--pin-file" in failure.get("message", ""), "rc=%d\n%s\n%s" % (rc, out, err))

    rc, out, err = cradlectl(ec_env, "enroll", "--json", "--type", "token-rsa", "--device",
                             "pkcs11:token=" + ec_label, "--pin-file", pin_file, *module)
    result = json_of(out) or {}
    text = json.dumps(result) + err
    tap.check("a key type not offered: refused (exit 7, NOT_SUPPORTED)",
              rc == 7 and (result.get("error") or {}).get("code") == "not-supported" and
              (result.get("error") or {}).get("detail") == "TOKEN_KEY_TYPE_NOT_OFFERED",
              "rc=%d\n%s\n%s" % (rc, out, err))
    tap.check("a key type not offered: the words name the token and the key type",
              "cannot make the rsa2048 key" in text and ec_label in text, text)
    tap.check("a key type not offered: the CA was never tried", "UNREACHABLE" not in text and
              str(port) not in err, text)
    tap.check("a key type not offered: nothing was made on the token", object_count(ec_conf, ec_label) == 0,
              "objects: %d" % object_count(ec_conf, ec_label))
    rc, out, err = cradlectl(ec_env, "pending", "--json")
    tap.check("a key type not offered: no request kept", rc == 0 and json_of(out) == [],
              "rc=%d\n%s\n%s" % (rc, out, err))
    # The count above can see objects: a key made by pkcs11-tool is counted.
    subprocess.run(["pkcs11-tool", "--module", SOFTHSM, "--token-label", ec_label, "--login", "--pin", PIN,
                    "--keypairgen", "--key-type", "EC:prime256v1", "--id", "01", "--label", "probe"],
                   env=dict(os.environ, SOFTHSM2_CONF=ec_conf), capture_output=True, check=True)
    tap.check("the object count sees a key pair made on the token", object_count(ec_conf, ec_label) == 2,
              "objects: %d" % object_count(ec_conf, ec_label))


if __name__ == "__main__":
    sys.exit(main())
