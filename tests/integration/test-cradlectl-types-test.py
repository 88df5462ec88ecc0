#!/usr/bin/python3
"""`cradlectl types test` as a script sees it, against the lab: a saved
type and a type file, --json, the exit codes (0 as expected, 2 refused or
not trusted, 3 unreachable), a hostile SCEP server's text escaped, and no
challenge in any output.

Skips when the lab does not run (`tests/lab/cradle-lab status`).  TAP on
stdout.
"""

import hashlib
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile

BUILD = os.environ["CRADLE_BUILD_ROOT"]
SOURCE = os.environ["CRADLE_SOURCE_ROOT"]
CRADLECTL = os.path.join(BUILD, "cli", "cradlectl")
LAB = os.path.join(SOURCE, "tests", "lab", "cradle-lab")
CHALLENGE = "Ch4llenge-must-stay-in-its-file"

results = []


def check(name, condition, detail=""):
    results.append((name, bool(condition), detail))


def lab_env():
    if subprocess.run([LAB, "status"], capture_output=True).returncode != 0:
        return None
    out = subprocess.run([LAB, "env"], capture_output=True, text=True, check=True).stdout
    env = {}
    for line in out.splitlines():
        if line.startswith("export ") and "=" in line:
            name, value = line[len("export "):].split("=", 1)
            env[name] = value.strip("'")
    return env


def pem_fingerprint(path):
    with open(path) as f:
        der = ssl.PEM_cert_to_DER_cert(f.read())
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Run:
    def __init__(self, lab, config):
        self.env = dict(os.environ)
        self.env.update({"CRADLE_CONFIG_DIR": config, "CRADLE_SYSTEM_CONFIG_DIR": os.path.join(config, "system"),
                         "KRB5_CONFIG": lab["KRB5_CONFIG"], "LANG": "C.UTF-8"})

    def __call__(self, *args):
        done = subprocess.run([CRADLECTL, "types", "test"] + list(args), capture_output=True, text=True,
                              env=self.env, timeout=120)
        return done.returncode, done.stdout, done.stderr


def write_type(folder, name, lines):
    path = os.path.join(folder, name + ".conf")
    with open(path, "w") as f:
        f.write("[Cradle Certificate Type]\nName=%s\n%s" % (name, lines))
    return path


def main():
    lab = lab_env()
    if lab is None:
        print("1..0 # SKIP the lab is not running (tests/lab/cradle-lab up)")
        return 0
    config = tempfile.mkdtemp(prefix="cradle-types-test-")
    server = None
    try:
        types = os.path.join(config, "types.d")
        os.makedirs(types)
        run = Run(lab, config)
        secret = os.path.join(config, "scep.challenge")
        with open(secret, "w") as f:
            f.write(CHALLENGE + "\n")
        os.chmod(secret, 0o600)
        scep_ca = lab["CRADLE_LAB_SCEP_CA"]
        expected = pem_fingerprint(scep_ca)
        scep = ("Protocol=scep\nURL=%s\nAuth=none\nKeyType=rsa2048\nTrustAnchors=%s\nChallengeFile=%s\n"
                % (lab["CRADLE_LAB_SCEP_URL"], scep_ca, secret))

        # A saved type, by name: SCEP with its challenge file.
        write_type(types, "lab-scep", scep)
        code, out, err = run("lab-scep")
        check("a saved SCEP type tests ok (exit 0)", code == 0, err)
        check("the text names GetCACaps and the CA's fingerprint", "GetCACaps: " in out and expected in out, out)
        check("the challenge is in no output", CHALLENGE not in out + err)

        code, out, err = run("lab-scep", "--json")
        report = json.loads(out) if out.startswith("{") else {}
        check("--json: ok, exit_code 0", report.get("ok") is True and report.get("exit_code") == 0, out)
        check("--json: the SCEP CA's fingerprint", report.get("ca_fingerprint") == expected, out)
        check("--json: capabilities and CA certificates",
              "POSTPKIOperation" in (report.get("capabilities") or "") and len(report.get("ca_certificates", [])) >= 1,
              out)
        check("--json: no error member when ok", "error" not in report, out)
        check("--json: the challenge is in no output", CHALLENGE not in out + err)

        # A type file before it is saved: EST.
        est = write_type(config, "lab-est", "Protocol=est\nURL=%s\nAuth=none\nKeyType=p256\nTrustAnchors=%s\n"
                         % (lab["CRADLE_LAB_EST_URL"], lab["CRADLE_LAB_CA_TLS_ANCHOR"]))
        code, out, err = run("--file", est, "--json")
        report = json.loads(out) if out.startswith("{") else {}
        check("--file: EST's cacerts (exit 0)", code == 0 and report.get("protocol") == "est"
              and any("Corp Issuing CA" in c["subject"] for c in report.get("ca_certificates", [])), out + err)

        # certsrv with alice's Kerberos ticket.
        certsrv = write_type(config, "lab-certsrv", "Protocol=certsrv\nURL=%s\nTemplate=CradleDevice\nAuth=kerberos\n"
                             "TrustAnchors=%s\n" % (lab["CRADLE_LAB_CERTSRV_URL"], lab["CRADLE_LAB_CA_TLS_ANCHOR"]))
        code, out, err = run("--file", certsrv, "--ccache", lab["CRADLE_LAB_ALICE_CCACHE"])
        check("certsrv's CA certificates (exit 0)", code == 0 and "Corp Issuing CA" in out, out + err)

        # XCEP: a template the policy offers, and one it does not.
        xcep = ("Protocol=wstep\nPolicyURL=%s\nAuth=kerberos\nTrustAnchors=%s\n"
                % (lab["CRADLE_LAB_CEP_KERBEROS_URL"], lab["CRADLE_LAB_CA_TLS_ANCHOR"]))
        offered = write_type(config, "lab-xcep", xcep + "Template=CradleDeviceUPN\n")
        code, out, err = run("--file", offered, "--ccache", lab["CRADLE_LAB_ALICE_CCACHE"], "--json")
        report = json.loads(out) if out.startswith("{") else {}
        check("XCEP: the template is offered (exit 0)", code == 0 and report.get("template_offered") == "offered", out)
        missing = write_type(config, "lab-xcep", xcep + "Template=NotATemplate\n")
        code, out, err = run("--file", missing, "--ccache", lab["CRADLE_LAB_ALICE_CCACHE"], "--json")
        report = json.loads(out) if out.startswith("{") else {}
        check("XCEP: a template not offered is refused (exit 2)",
              code == 2 and report.get("template_offered") == "not-offered" and report.get("exit_code") == 2, out)
        check("... with the error and what the policy offers",
              report.get("error", {}).get("code") == "not-found" and "CradleDeviceUPN" in report["error"]["message"],
              out)

        # A wrong CAFingerprint: not trusted (exit 2), the real one shown.
        pinned = write_type(config, "lab-pinned", scep + "CAFingerprint=%s\n" % ("00:" * 31 + "00"))
        code, out, err = run("--file", pinned, "--json")
        report = json.loads(out) if out.startswith("{") else {}
        check("a wrong CAFingerprint is not trusted (exit 2)",
              code == 2 and report.get("ca_fingerprint_match") == "differs", out)
        check("... and the CA's real fingerprint is shown", report.get("ca_fingerprint") == expected, out)
        check("... and the challenge was not sent or shown", CHALLENGE not in out + err)
        right = write_type(config, "lab-pinned", scep + "CAFingerprint=%s\n" % expected)
        code, out, err = run("--file", right, "--json")
        report = json.loads(out) if out.startswith("{") else {}
        check("the right CAFingerprint matches (exit 0)",
              code == 0 and report.get("ca_fingerprint_match") == "matches", out)

        # Nobody there: unreachable (exit 3), in the error table's words.
        down = write_type(config, "down", "Protocol=scep\nURL=http://127.0.0.1:%d/scep\nAuth=none\nKeyType=rsa2048\n"
                          "TrustAnchors=%s\n" % (closed_port(), scep_ca))
        code, out, err = run("--file", down, "--json")
        report = json.loads(out) if out.startswith("{") else {}
        check("an unreachable server exits 3", code == 3 and report.get("ok") is False, out + err)
        check("... explained from the error table",
              report.get("error", {}).get("detail") == "CONNECTION_REFUSED"
              and report["error"].get("next_step"), out)
        code, out, err = run("--file", down)
        check("... and says the next step on stderr", code == 3 and "Next step:" in err, err)

        # Usage and files.
        code, out, err = run("no-such-type")
        check("an unknown type is an error naming it", code != 0 and "no-such-type" in err, err)
        bad = os.path.join(config, "bad.conf")
        with open(bad, "w") as f:
            f.write("[Cradle Certificate Type]\nName=bad\nProtocol=smtp\n")
        code, out, err = run("--file", bad)
        check("an invalid type file is refused with its line", code != 0 and "bad.conf:3" in err, err)
        code, out, err = run()
        check("no name and no file is a usage error (7)", code == 7, err)

        # A hostile SCEP server: its escape sequences reach no terminal.
        ca_pem = os.path.join(config, "misbehaving-ca.pem")
        env = dict(os.environ, CRADLE_MISBEHAVING_SCEP_CA=ca_pem)
        server = subprocess.Popen(["/usr/bin/python3", os.path.join(SOURCE, "tests", "ca", "misbehaving-scep.py")],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True)
        line = server.stdout.readline()
        port = int(line.split()[1])
        hostile = write_type(config, "hostile", "Protocol=scep\nURL=http://127.0.0.1:%d/caps-escapes/scep\nAuth=none\n"
                             "KeyType=rsa2048\nTrustAnchors=%s\n" % (port, ca_pem))
        code, out, err = run("--file", hostile)
        check("a hostile GetCACaps: exit 0", code == 0, err)
        check("... no ESC or bidi override reaches the terminal",
              "\x1b" not in out + err and "\u202e" not in out + err, repr(out))
        check("... shown escaped instead", "\\x1b]0;owned" in out and "\\u202eReversed" in out, out)
        code, out, err = run("--file", hostile, "--json")
        check("... nor JSON", "\x1b" not in out and "\u202e" not in out and json.loads(out)["ok"] is True, out)
    finally:
        if server is not None:
            server.stdin.close()
            server.wait(timeout=10)
        shutil.rmtree(config)

    print("1..%d" % len(results))
    failed = 0
    for number, (name, passed, detail) in enumerate(results, 1):
        print("%s %d - %s" % ("ok" if passed else "not ok", number, name))
        if not passed:
            failed += 1
            for line in str(detail).splitlines():
                print("# " + line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
