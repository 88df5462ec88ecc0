#!/usr/bin/python3
"""`cradlectl report` after failed runs, against the lab: the archive holds
what its README.txt lists, is 0600, and none of it holds a secret: none of
the lab's passwords (.lab/secrets.json), its SCEP challenge, the wrong
challenge of a type, the passwords of a PFX (the right one and the wrong
one given), a password written in cradle.conf, or any part of a Kerberos
ticket (each ticket's encrypted part and session key of the ccaches the
runs used, raw, in hex or in base64).  With --redact-names, alice, the
realm, the DC and CA hosts and this machine's name are gone, each replaced
by one stand-in, the same in every file.  The run's lines in the log carry
CRADLE_RUN=, CRADLE_STEP=, CRADLE_DEVICE=.

The failed runs: carol's enrollment for CradleDeviceUPN (she has no UPN,
which Cradle finds before it asks the CA), a certsrv type of the lab CA for
a template no CA publishes, a SCEP type with a wrong challenge (the lab's
SCEP server refuses it), an install of a PFX with a wrong password.

Skips when the lab does not run.  TAP on stdout.
"""

import base64
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tarfile
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from diagnose_support import BUILD, CRADLECTL, Tap, base_env, lab_env  # noqa: E402

AGENT = os.path.join(BUILD, "bridge", "agent", "cradle-agent")
SERIAL = "REPORT-TEST-1"
WRONG_CHALLENGE = "Wr0ng-Challenge-Of-Report-Test"
PFX_PASSWORD = "Pfx-Password-Of-Report-Test-7"
PFX_WRONG_PASSWORD = "Not-The-Pfx-Password-Report-Test"
CONF_SECRET = "Conf-Secret-Report-Test-42"


# ---- Kerberos tickets in an MIT FILE ccache (version 3 or 4) -------------

class Reader:
    def __init__(self, data):
        self.data = data
        self.at = 0

    def take(self, n):
        if self.at + n > len(self.data):
            raise ValueError("truncated")
        out = self.data[self.at:self.at + n]
        self.at += n
        return out

    def u8(self):
        return self.take(1)[0]

    def u16(self):
        return struct.unpack(">H", self.take(2))[0]

    def u32(self):
        return struct.unpack(">I", self.take(4))[0]

    def blob(self):
        return self.take(self.u32())

    def principal(self):
        self.u32()  # name type
        count = self.u32()
        realm = self.blob()
        return realm, [self.blob() for _ in range(count)]


def ccache_secrets(path):
    """Each credential's session key and ticket (its encrypted part is
    the end of the ticket's DER) from a FILE ccache."""
    with open(path, "rb") as f:
        r = Reader(f.read())
    version = r.u16()
    if version not in (0x0503, 0x0504):
        raise ValueError("ccache version %x" % version)
    if version == 0x0504:
        r.take(r.u16())  # header
    r.principal()  # default principal
    out = []
    while r.at < len(r.data):
        r.principal()
        server = r.principal()
        r.u16()  # enctype
        key = r.blob()
        r.take(16)  # times
        r.u8()
        r.u32()  # flags
        for _ in range(r.u32()):  # addresses
            r.u16()
            r.blob()
        for _ in range(r.u32()):  # authdata
            r.u16()
            r.blob()
        ticket = r.blob()
        r.blob()  # second ticket
        name = b"/".join(server[1]).decode(errors="replace")
        if name.startswith("X-CACHECONF:"):
            continue
        out.append((name, key, ticket))
    return out


def encodings(secret):
    """@secret (bytes) as it could appear in a text file: raw, hex, and
    base64 at each of the three alignments (the middle, whole quanta)."""
    forms = [secret, secret.hex().encode(), secret.hex().upper().encode()]
    for shift in range(3):
        b64 = base64.b64encode(secret[shift:])
        # Drop the last quantum, which depends on what follows.
        forms.append(b64[:max(0, (len(secret[shift:]) // 3 - 1) * 4)])
    return [f for f in forms if len(f) >= 16]


# ---- the test -------------------------------------------------------------

def run(args, env, stdin=None, timeout=120):
    return subprocess.run(args, input=stdin, capture_output=True, text=True, env=env, timeout=timeout)


def unpack(path, into):
    """Regular files and folders only, each inside @into (a name with
    ".." or a leading "/" fails the test)."""
    with tarfile.open(path, "r:gz") as tar:
        members = tar.getmembers()
        for member in members:
            if member.name.startswith("/") or ".." in member.name.split("/"):
                raise ValueError("a name outside the archive's folder: %r" % member.name)
            target = os.path.join(into, member.name)
            if member.isdir():
                os.makedirs(target, exist_ok=True)
            elif member.isfile():
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with open(target, "wb") as f:
                    f.write(tar.extractfile(member).read())
            else:
                raise ValueError("not a file or a folder: %r" % member.name)
    return members


def files_under(folder):
    out = {}
    for root, _, names in os.walk(folder):
        for name in names:
            full = os.path.join(root, name)
            with open(full, "rb") as f:
                out[os.path.relpath(full, folder)] = f.read()
    return out


def readme_list(text):
    """The file names README.txt lists, under its "Files:" line."""
    names = []
    started = False
    for line in text.splitlines():
        if line == "Files:":
            started = True
            continue
        if started:
            if not line.startswith("  "):
                break
            names.append(line.split()[0])
    return names


def main():
    tap = Tap()
    lab = lab_env()
    if lab is None:
        return tap.skip_all("the lab is not running; start it with tests/lab/cradle-lab up")
    with open(os.path.join(lab["CRADLE_LAB_DIR"], "secrets.json")) as f:
        lab_secrets = json.load(f)

    home = tempfile.mkdtemp(prefix="cradle-report-test-")
    agent = None
    try:
        for sub in ("run", "device", "config", "state", "cache", "out", "krb"):
            os.mkdir(os.path.join(home, sub), 0o700)
        # The runs use copies of the lab's ccaches: what they add (service
        # tickets) is searched for too, and the lab's stay as they are.
        for user in ("alice", "carol"):
            shutil.copy(lab["CRADLE_LAB_%s_CCACHE" % user.upper()][len("FILE:"):],
                        os.path.join(home, "krb", user))
        env = base_env(lab,
                       CRADLE_CONFIG_DIR=os.path.join(home, "config"),
                       CRADLE_STATE_DIR=os.path.join(home, "state"),
                       CRADLE_CACHE_DIR=os.path.join(home, "cache"),
                       CRADLE_RUNTIME_DIR=os.path.join(home, "run"),
                       CRADLE_SYSTEM_CONFIG_DIR=os.path.join(home, "no-system-config"),
                       KRB5CCNAME="FILE:" + os.path.join(home, "krb", "alice"))
        # A user's cradle.conf with a secret someone wrote in it, and a
        # line that would colour a terminal.
        with open(os.path.join(home, "config", "cradle.conf"), "w") as f:
            f.write("[Directory]\nDomain=%s\nDC=%s\nPassword=%s\n# \x1b[31mred\n"
                    % (lab["CRADLE_LAB_DOMAIN"], lab["CRADLE_LAB_LDAP_URI"], CONF_SECRET))

        agent = subprocess.Popen([AGENT, "--serial=" + SERIAL, "--store=" + os.path.join(home, "device"),
                                  "--kek-file=" + os.path.join(home, "kek"), "--confirm=approve"],
                                 env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        socket_path = os.path.join(home, "run", "devices", SERIAL + ".sock")
        for _ in range(100):
            if os.path.exists(socket_path):
                break
            time.sleep(0.1)

        # 1. The CA refuses: carol has no UPN (CERTSRV_E_SUBJECT_UPN_REQUIRED).
        carol_env = dict(env, KRB5CCNAME="FILE:" + os.path.join(home, "krb", "carol"))
        done = run([CRADLECTL, "enroll", "--template", "CradleDeviceUPN", "--json"], carol_env)
        tap.check("an enrollment of carol's for CradleDeviceUPN fails (exit %d)" % done.returncode,
                  done.returncode != 0, done.stdout + done.stderr)

        # 2. A certsrv type of the lab CA for a template no CA publishes.
        done = run([CRADLECTL, "types", "add", "unpublished", "--protocol", "certsrv", "--url",
                    lab["CRADLE_LAB_CERTSRV_URL"], "--template", "CradleDeviceUnpublished", "--trust-anchors",
                    lab["CRADLE_LAB_CA_TLS_ANCHOR"]], env)
        tap.check("cradlectl types add unpublished", done.returncode == 0, done.stderr)
        done = run([CRADLECTL, "enroll", "--type", "unpublished", "--json"], env)
        tap.check("an enrollment for a template no CA publishes fails (exit %d)" % done.returncode,
                  done.returncode != 0, done.stdout + done.stderr)

        # 3. A SCEP type with a wrong challenge, and the lab's SCEP type with
        # the right one (never used: its challenge file is all there is).
        fingerprint = run(["openssl", "x509", "-in", lab["CRADLE_LAB_SCEP_CA"], "-noout", "-fingerprint",
                           "-sha256"], env).stdout.strip().split("=", 1)[1]
        for name, challenge in (("bad-scep", WRONG_CHALLENGE), ("lab-scep", lab["CRADLE_LAB_SCEP_CHALLENGE"])):
            done = run([CRADLECTL, "types", "add", name, "--protocol", "scep", "--url", lab["CRADLE_LAB_SCEP_URL"],
                        "--trust-anchors", lab["CRADLE_LAB_SCEP_CA"], "--ca-fingerprint", fingerprint,
                        "--subject", "CN=%s,O=Cradle Tests" % SERIAL, "--challenge-file", "-"],
                       env, stdin=challenge + "\n")
            tap.check("cradlectl types add %s" % name, done.returncode == 0, done.stderr)
        done = run([CRADLECTL, "enroll", "--type", "bad-scep", "--json"], env)
        tap.check("an enrollment with the wrong SCEP challenge is refused (exit %d)" % done.returncode,
                  done.returncode == 2, done.stdout + done.stderr)

        # 4. A PFX installed with the wrong password.
        key = os.path.join(home, "out", "key.pem")
        cert = os.path.join(home, "out", "cert.pem")
        pfx = os.path.join(home, "out", "mine.pfx")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                        "-subj", "/CN=Report Test PFX", "-days", "30"], capture_output=True, check=True)
        subprocess.run(["openssl", "pkcs12", "-export", "-inkey", key, "-in", cert, "-out", pfx,
                        "-passout", "pass:" + PFX_PASSWORD], capture_output=True, check=True)
        os.unlink(key)
        done = run([CRADLECTL, "install", pfx, "--device", "socket:" + SERIAL, "--password-file", "-"],
                   env, stdin=PFX_WRONG_PASSWORD + "\n")
        tap.check("installing the PFX with a wrong password fails (exit %d)" % done.returncode,
                  done.returncode != 0, done.stderr)

        runs = json.loads(run([CRADLECTL, "log", "--json"], env).stdout or "[]")
        scep_run = next((r["run"] for r in runs if r.get("type") == "bad-scep"), None)
        tap.check("the journal has the failed runs", len(runs) >= 3 and scep_run is not None, json.dumps(runs)[:2000])

        # The report.
        report = os.path.join(home, "out", "report.tar.gz")
        done = run([CRADLECTL, "report", "-o", report, "--json"], env, timeout=300)
        tap.check("cradlectl report writes a report (exit %d)" % done.returncode, done.returncode == 0,
                  done.stdout + done.stderr)
        listed = [f["name"] for f in json.loads(done.stdout)["files"]] if done.returncode == 0 else []
        mode = os.stat(report).st_mode & 0o777 if os.path.exists(report) else None
        tap.check("the report is 0600 (it is %s)" % (oct(mode) if mode is not None else "missing"), mode == 0o600)
        leftovers = [n for n in os.listdir(os.path.join(home, "out")) if n.startswith(".report")]
        tap.check("no temporary file is left beside it", not leftovers, leftovers)

        plain = os.path.join(home, "plain")
        members = unpack(report, plain)
        top = os.path.join(plain, "report")
        contents = files_under(top)
        in_archive = sorted(m.name[len("report/"):] for m in members if m.isfile())
        readme = contents.get("README.txt", b"").decode()
        tap.check("every file is under the folder report/", all(m.name == "report" or m.name.startswith("report/")
                                                               for m in members), [m.name for m in members])
        tap.check("README.txt lists exactly the files of the archive",
                  sorted(readme_list(readme)) == in_archive and sorted(listed) == in_archive,
                  "readme %s\narchive %s\njson %s" % (sorted(readme_list(readme)), in_archive, sorted(listed)))
        expected = {"versions.txt", "settings.txt", "config/user/cradle.conf", "config/user/types.d/bad-scep.conf",
                    "config/user/types.d/lab-scep.conf", "journal.txt", "journal.json", "diagnosis.json",
                    "diagnosis.txt", "device.txt", "log.txt"}
        tap.check("it holds the versions, configuration, types, journal, diagnosis, device and log",
                  expected <= set(in_archive), sorted(expected - set(in_archive)))
        tap.check("it holds no challenge file and no ccache",
                  not [n for n in in_archive if n.endswith(".challenge") or "ccache" in n or "krb" in n], in_archive)
        versions = contents.get("versions.txt", b"").decode()
        tap.check("versions.txt names Cradle, GLib, OpenSSL, libcurl, libldap, SQLite, libusb and the OS",
                  all(word in versions for word in ("Cradle", "GLib", "OpenSSL", "libcurl/", "libldap", "SQLite",
                                                    "libusb", "uname", "os-release")), versions)
        journal = json.loads(contents.get("journal.json", b"[]"))
        tap.check("journal.json holds the failed runs", {r["run"] for r in runs} <= {r["run"] for r in journal},
                  json.dumps(journal)[:1000])
        conf = contents.get("config/user/cradle.conf", b"").decode()
        tap.check("cradle.conf is there with its secret key blanked and its control escaped",
                  "Password=(removed)" in conf and "\x1b" not in conf and "\\x1b[31mred" in conf, conf)
        diagnosis = json.loads(contents.get("diagnosis.json", b"{}"))
        tap.check("diagnosis.json is a diagnosis of every hop", len(diagnosis.get("hops", [])) == 8,
                  json.dumps(diagnosis)[:1000])
        log = contents.get("log.txt", b"").decode()
        step_lines = [line for line in log.splitlines()
                      if re.search(r" CRADLE_RUN=%d CRADLE_STEP=\S+ CRADLE_DEVICE=%s$" % (scep_run or -1, SERIAL), line)]
        tap.check("log.txt holds the SCEP run's step lines with CRADLE_RUN=, CRADLE_STEP=, CRADLE_DEVICE=",
                  len(step_lines) >= 2, log[-3000:])

        # No secret, in any file, in any form.
        secrets = dict(("lab password of " + name, value) for name, value in lab_secrets.items())
        secrets["the lab's SCEP challenge"] = lab["CRADLE_LAB_SCEP_CHALLENGE"]
        secrets["the wrong SCEP challenge"] = WRONG_CHALLENGE
        secrets["the PFX password"] = PFX_PASSWORD
        secrets["the wrong PFX password"] = PFX_WRONG_PASSWORD
        secrets["the secret in cradle.conf"] = CONF_SECRET
        tickets = []
        for user in ("alice", "carol"):
            for server, key, ticket in ccache_secrets(os.path.join(home, "krb", user)):
                tickets.append(("%s's ticket for %s" % (user, server), key, ticket))
        tap.check("the ccaches the runs used hold tickets to look for (%d)" % len(tickets), len(tickets) >= 2)

        redacted = os.path.join(home, "out", "redacted.tar.gz")
        done = run([CRADLECTL, "report", "--redact-names", "-o", redacted], env, timeout=300)
        tap.check("cradlectl report --redact-names writes a report (exit %d)" % done.returncode,
                  done.returncode == 0, done.stdout + done.stderr)
        tap.check("it says where it wrote it and what it holds",
                  redacted in done.stdout and "README.txt" in done.stdout and "journal.txt" in done.stdout,
                  done.stdout)
        unpack(redacted, os.path.join(home, "red"))
        red = files_under(os.path.join(home, "red", "redacted"))

        for label, everything in (("report", contents), ("redacted report", red)):
            for what, value in secrets.items():
                forms = {value.encode(), json.dumps(value)[1:-1].encode()}
                holders = [name for name, data in everything.items() if any(form in data for form in forms)]
                tap.check("the %s holds nowhere %s" % (label, what), not holders, holders)
            found = []
            for what, key, ticket in tickets:
                # The encrypted part is the ticket's last bytes: its last 64,
                # and the session key, in every form.
                for part_name, part in (("its encrypted part", ticket[-64:]), ("its session key", key)):
                    for form in encodings(part):
                        found += ["%s: %s in %s" % (what, part_name, name) for name, data in everything.items()
                                  if form in data]
            tap.check("the %s holds no part of any Kerberos ticket or session key (%d tickets)"
                      % (label, len(tickets)), not found, found[:10])

        # Names: gone from the redacted report, each by one stand-in.
        host = socket.gethostname()
        names = ["alice", lab["CRADLE_LAB_DOMAIN"], "ca1." + lab["CRADLE_LAB_DOMAIN"],
                 "dc1." + lab["CRADLE_LAB_DOMAIN"], host]
        for name in names:
            pattern = re.compile(rb"(?<![A-Za-z0-9_-])" + re.escape(name.encode()) + rb"(?![A-Za-z0-9_-])",
                                 re.IGNORECASE)
            in_plain = [n for n, d in contents.items() if pattern.search(d)]
            in_red = [n for n, d in red.items() if pattern.search(d)]
            tap.check("%s is in the report (%s) and in no file of the redacted one" % (name, ", ".join(in_plain)),
                      in_plain and not in_red, in_red)
        tap.check("the redacted report says which kinds of names it replaced",
                  "redacted-names.txt" in red and b"alice" not in red.get("redacted-names.txt", b"alice"))
        # The journal is the same in both: each name has one stand-in, the
        # same in every line, whatever its case, and two names never share one.
        stand_ins = {}
        consistent = True
        detail = []
        for file_name in ("journal.txt", "journal.json", "config/user/types.d/lab-scep.conf",
                          "config/user/types.d/unpublished.conf", "config/user/cradle.conf", "settings.txt"):
            plain_lines = contents.get(file_name, b"").decode().splitlines()
            red_lines = red.get(file_name, b"").decode().splitlines()
            if file_name == "settings.txt":
                plain_lines = [line for line in plain_lines if line.startswith(("domain", "dc ", "  KRB5CCNAME"))]
                red_lines = [line for line in red_lines if line.startswith(("domain", "dc ", "  KRB5CCNAME"))]
            if len(plain_lines) != len(red_lines):
                consistent = False
                detail.append("%s: %d lines, redacted %d" % (file_name, len(plain_lines), len(red_lines)))
                continue
            for a, b in zip(plain_lines, red_lines):
                if a == b:
                    continue
                # Split both lines on what is not part of a name and line
                # up the pieces.
                pa = re.split(r"([^A-Za-z0-9_.=,-]+)", a)
                pb = re.split(r"([^A-Za-z0-9_.=,-]+)", b)
                if len(pa) != len(pb):
                    consistent = False
                    detail.append("%s: %r vs %r" % (file_name, a, b))
                    continue
                for x, y in zip(pa, pb):
                    if x != y:
                        previous = stand_ins.setdefault(x.lower(), y)
                        if previous != y:
                            consistent = False
                            detail.append("%s became %s and %s" % (x, previous, y))
        users = {v for k, v in stand_ins.items() if "alice" in k}
        tap.check("in the journal, the lab-scep type and the settings each name has one stand-in (%d seen)"
                  % len(stand_ins), consistent and stand_ins and len(set(stand_ins.values())) == len(stand_ins),
                  "\n".join(detail[:20]) + "\n" + json.dumps(stand_ins, indent=1)[:3000])
        tap.check("alice became one stand-in", len(users) >= 1 and all("alice" not in u.lower() for u in users),
                  users)

        # One run.
        one = os.path.join(home, "out", "one.tar.gz")
        done = run([CRADLECTL, "report", "--run", str(scep_run or 0), "-o", one], env, timeout=300)
        ok = done.returncode == 0
        if ok:
            unpack(one, os.path.join(home, "one"))
            one_journal = json.loads(files_under(os.path.join(home, "one", "one")).get("journal.json", b"[]"))
        tap.check("--run N holds that run only, and its type is the diagnosis'",
                  ok and [r["run"] for r in one_journal] == [scep_run], done.stdout + done.stderr)
        done = run([CRADLECTL, "report", "--run", "99999", "-o", os.path.join(home, "out", "none.tar.gz")], env)
        tap.check("--run of a run that does not exist: exit 7, said so, no file (exit %d)" % done.returncode,
                  done.returncode == 7 and "99999" in done.stderr
                  and not os.path.exists(os.path.join(home, "out", "none.tar.gz")), done.stderr)
        done = run([CRADLECTL, "report", "--last", "--run", "1"], env)
        tap.check("--last with --run: exit 7", done.returncode == 7, done.stderr)
    finally:
        if agent is not None:
            agent.terminate()
            agent.wait()
        shutil.rmtree(home, ignore_errors=True)
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main())
