#!/usr/bin/python3
"""cradle-types-helper, the program pkexec runs to save system-wide types,
fed what a hostile caller could give it; and its polkit action.

Runs the built helper as root with CRADLE_SYSTEM_CONFIG_DIR in a folder
of its own (pkexec itself is tested when polkitd can run: see
test-types-pkexec).  TAP on stdout.
"""

import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree

BUILD = os.environ["CRADLE_BUILD_ROOT"]
SOURCE = os.environ["CRADLE_SOURCE_ROOT"]
HELPER = os.path.join(BUILD, "cli", "cradle-types-helper")
POLICY = os.path.join(BUILD, "data", "org.cradle.Cradle.policy")
CHALLENGE = "Ch4llenge-never-in-a-type-file"

results = []


def check(name, condition, detail=""):
    results.append((name, bool(condition), detail))


def run(folder, args, data=b"", env=None, user=None):
    environment = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "CRADLE_SYSTEM_CONFIG_DIR": folder}
    environment.update(env or {})
    command = [HELPER] + args
    if user is not None:
        command = ["/usr/sbin/runuser", "-u", user, "--"] + command
    done = subprocess.run(command, input=data, capture_output=True, env=environment, timeout=30)
    return done.returncode, done.stdout.decode(), done.stderr.decode()


def type_text(name, folder, challenge_file=True, extra=""):
    text = ("[Cradle Certificate Type]\nName=%s\nProtocol=scep\nURL=http://127.0.0.1:8088/scep\n"
            "Auth=none\nKeyType=rsa2048\nTrustAnchors=/etc/ssl/certs/ca-certificates.crt\n" % name)
    if challenge_file:
        text += "ChallengeFile=%s\n" % os.path.join(folder, "types.d", name + ".challenge")
    return (text + extra).encode()


def listing(folder):
    types = os.path.join(folder, "types.d")
    return sorted(os.listdir(types)) if os.path.isdir(types) else []


def everything_in(folder):
    found = b""
    for root, _, files in os.walk(folder):
        for name in files:
            with open(os.path.join(root, name), "rb") as f:
                found += f.read()
    return found


def test_save_and_remove(folder):
    code, out, err = run(folder, ["save", "wifi"], type_text("wifi", folder) + b"\0" + CHALLENGE.encode() + b"\n")
    check("save with a challenge exits 0", code == 0, err)
    types = os.path.join(folder, "types.d")
    conf = os.path.join(types, "wifi.conf")
    secret = os.path.join(types, "wifi.challenge")
    check("the type file is there", os.path.isfile(conf))
    check("the type file is 0644, root's",
          os.path.isfile(conf) and stat.S_IMODE(os.stat(conf).st_mode) == 0o644 and os.stat(conf).st_uid == 0)
    check("the challenge is 0600, root's",
          os.path.isfile(secret) and stat.S_IMODE(os.stat(secret).st_mode) == 0o600 and os.stat(secret).st_uid == 0)
    with open(secret) as f:
        check("the challenge file holds the challenge alone", f.read() == CHALLENGE)
    with open(conf, "rb") as f:
        check("the type file does not hold the challenge", CHALLENGE.encode() not in f.read())
    check("no temporary file is left", listing(folder) == ["wifi.challenge", "wifi.conf"], listing(folder))
    check("the challenge is in no message", CHALLENGE not in out + err)

    # Saved again without a challenge: the challenge file stays.
    code, _, err = run(folder, ["save", "wifi"], type_text("wifi", folder))
    check("save without a challenge keeps it", code == 0 and os.path.isfile(secret), err)
    # An empty challenge removes it; the type must then not name it.
    code, _, err = run(folder, ["save", "wifi"], type_text("wifi", folder, challenge_file=False) + b"\0")
    check("an empty challenge removes the challenge file", code == 0 and not os.path.exists(secret), err)

    code, _, err = run(folder, ["remove", "wifi"])
    check("remove exits 0 and leaves nothing", code == 0 and listing(folder) == [], err)
    code, _, err = run(folder, ["remove", "wifi"])
    check("removing a type that is not there exits 1 and says so", code == 1 and "no certificate type" in err, err)


def test_bad_names(folder):
    for name in ["../x", "..", ".hidden", "a/b", "", "x" * 65, "white space", "new\nline", "-"[:0] + "\x1b[2J"]:
        code, _, err = run(folder, ["save", name], type_text("x", folder, challenge_file=False))
        check("the name %r is refused" % name, code == 1 and "is not a type name" in err, err)
        check("the name %r writes nothing" % name, listing(folder) == [] and not os.path.exists(os.path.join(folder, "x")))
        check("the name %r is escaped in the message" % name, "\x1b" not in err and "\n" not in err.rstrip("\n"))
    code, _, err = run(folder, ["remove", "../types.d"])
    check("remove refuses a path", code == 1 and "is not a type name" in err, err)
    code, _, err = run(folder, ["frobnicate", "x"])
    check("an unknown verb is a usage error (2)", code == 2, err)
    code, _, err = run(folder, ["save"])
    check("a missing name is a usage error (2)", code == 2, err)


def test_bad_input(folder):
    code, _, err = run(folder, ["save", "big"], b"[Cradle Certificate Type]\n" + b"#" * (65 * 1024) + b"\n")
    check("an oversize type file is refused", code == 1 and "larger than" in err, err)
    code, _, err = run(folder, ["save", "big"], type_text("big", folder) + b"\0" + b"c" * 1025)
    check("an oversize challenge is refused", code == 1 and "longer than" in err, err)
    code, _, err = run(folder, ["save", "big"], os.urandom(2 * 1024 * 1024))
    check("megabytes of noise are refused", code == 1, err)
    code, _, err = run(folder, ["save", "bad"], b"[Cradle Certificate Type]\nName=bad\nProtocol=smtp\n")
    check("an invalid type is refused with the parser's line", code == 1 and "bad.conf:3:" in err and "smtp" in err, err)
    code, _, err = run(folder, ["save", "bad"], b"\xff\xfe[Cradle Certificate Type]\n")
    check("text that is not UTF-8 is refused", code == 1, err)
    code, _, err = run(folder, ["save", "bad"], b"")
    check("an empty input is refused", code == 1, err)
    code, _, err = run(folder, ["save", "other"], type_text("wifi", folder, challenge_file=False))
    check("a type saved under another name is refused", code == 1 and "Name=wifi" in err, err)
    code, _, err = run(folder, ["save", "inside"],
                       type_text("inside", folder, extra="DisplayName=%s\n" % CHALLENGE) + b"\0" + CHALLENGE.encode())
    check("a challenge inside the type file is refused", code == 1 and "holds the challenge" in err, err)
    check("... and not repeated in the message", CHALLENGE not in err)
    code, _, err = run(folder, ["save", "elsewhere"],
                       type_text("elsewhere", folder, challenge_file=False) + b"\0" + CHALLENGE.encode())
    check("a challenge the type does not name is refused", code == 1 and "ChallengeFile=" in err, err)
    code, _, err = run(folder, ["save", "lines"], type_text("lines", folder) + b"\0two\nlines")
    check("a challenge of two lines is refused", code == 1 and "one line" in err, err)
    code, _, err = run(folder, ["save", "nosecret"], type_text("nosecret", folder))
    check("a type naming a challenge that is not there is refused", code == 1, err)
    cert = (b"[Cradle Certificate Type]\nName=cs\nProtocol=certsrv\nURL=https://ca.example.test/certsrv\n"
            b"Template=User\nAuth=kerberos\n")
    code, _, err = run(folder, ["save", "cs"], cert + b"\0" + CHALLENGE.encode())
    check("a challenge for a type that is not SCEP is refused", code == 1 and "not a SCEP type" in err, err)
    check("nothing was written by any refused input", listing(folder) == [], listing(folder))
    check("no challenge reached any file", CHALLENGE.encode() not in everything_in(folder))


def test_callers(folder):
    code, _, err = run(folder, ["save", "wifi"], type_text("wifi", folder, challenge_file=False), user="nobody")
    check("a user who is not root is refused", code == 1 and "only root" in err, err)
    check("... and nothing is written", listing(folder) == [])
    code, _, err = run(folder, ["save", "wifi"], type_text("wifi", folder, challenge_file=False),
                       env={"PKEXEC_UID": "nobody"})
    check("a PKEXEC_UID that is not a number is refused", code == 1 and "PKEXEC_UID" in err, err)
    # Under pkexec the folder override is not taken: the helper writes
    # the build's system folder (/etc/cradle/types.d) only.  Checked without writing there: a type
    # that cannot be saved anywhere names the folder it would use.
    code, _, err = run(folder, ["remove", "cradle-test-no-such-type"], env={"PKEXEC_UID": "1000"})
    check("under pkexec CRADLE_SYSTEM_CONFIG_DIR is ignored",
          code == 1 and folder not in err and "/cradle/types.d" in err, err)


def test_policy():
    code = subprocess.run(["xmllint", "--noout", POLICY], capture_output=True).returncode
    check("the polkit policy is well-formed XML (xmllint)", code == 0)
    with open(POLICY, "rb") as f:
        head = f.read(400)
    check("the policy names polkit's DTD", b"-//freedesktop//DTD PolicyKit Policy Configuration 1.0//EN" in head)
    root = ElementTree.parse(POLICY).getroot()
    actions = root.findall("action")
    check("the policy has one action, org.cradle.Cradle.manage-types",
          [a.get("id") for a in actions] == ["org.cradle.Cradle.manage-types"])
    action = actions[0]
    defaults = {child.tag: child.text for child in action.find("defaults")}
    check("active sessions need an administrator, kept a while",
          defaults.get("allow_active") == "auth_admin_keep", defaults)
    check("nobody is let in without an administrator",
          all(v in ("auth_admin", "auth_admin_keep", "no") for v in defaults.values()), defaults)
    annotations = {a.get("key"): a.text for a in action.findall("annotate")}
    path = annotations.get("org.freedesktop.policykit.exec.path", "")
    check("the action is for the installed helper alone",
          path.endswith("/cradle-types-helper") and os.path.isabs(path), path)
    check("the action does not let the helper open windows",
          "org.freedesktop.policykit.exec.allow_gui" not in annotations)
    check("the action has a description and a message for people",
          action.findtext("description") and action.findtext("message"))


def main():
    if os.geteuid() != 0:
        print("1..0 # SKIP the helper writes root's files: run as root")
        return 0
    test_policy()
    for test in (test_save_and_remove, test_bad_names, test_bad_input, test_callers):
        folder = tempfile.mkdtemp(prefix="cradle-types-helper-")
        os.chmod(folder, 0o755)
        try:
            test(folder)
        finally:
            shutil.rmtree(folder)
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
