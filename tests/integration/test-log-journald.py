#!/usr/bin/python3
"""A run's log lines in the systemd journal, for real: the test starts its
own systemd-journald in a mount namespace of its own (a tmpfs over
/run/systemd, /run/log and /var/log/journal, so nothing of it is left and
the machine's journal, if any, is not touched), makes a failed enrollment
(a SCEP type with a wrong challenge, against the lab's SCEP server, on a
simulated device), then asks `journalctl CRADLE_RUN=N` for that run's
lines: they are there, each with CRADLE_RUN=N, the steps' lines with
CRADLE_STEP= and CRADLE_DEVICE=, in the order of the journal's steps, and
no line of another run.  The same lines are in the state folder's
cradle.log.

Skips unless root (mount namespaces), with systemd-journald installed and
the lab up.  TAP on stdout.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from diagnose_support import BUILD, CRADLECTL, Tap, base_env, lab_env  # noqa: E402

JOURNALD = "/lib/systemd/systemd-journald"
AGENT = os.path.join(BUILD, "bridge", "agent", "cradle-agent")
SERIAL = "JOURNALD-TEST-1"
INSIDE = "CRADLE_TEST_JOURNALD_NAMESPACE"


def mount_tmpfs(path):
    if os.path.isdir(path):
        subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", path], check=True)
        return True
    return False


def inside(tap, lab):
    # Our own journald: its sockets and files on tmpfs in this namespace.
    mount_tmpfs("/run/systemd")
    os.makedirs("/run/systemd/journal", exist_ok=True)
    os.makedirs("/run/log", exist_ok=True)
    mount_tmpfs("/run/log")
    mount_tmpfs("/var/log/journal")
    journald = subprocess.Popen([JOURNALD], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    home = tempfile.mkdtemp(prefix="cradle-journald-test-")
    agent = None
    try:
        for _ in range(100):
            if os.path.exists("/run/systemd/journal/socket"):
                break
            time.sleep(0.1)
        tap.check("systemd-journald runs in the test's namespace", os.path.exists("/run/systemd/journal/socket"))
        for sub in ("run", "device", "config", "state", "cache", "krb"):
            os.mkdir(os.path.join(home, sub), 0o700)
        shutil.copy(lab["CRADLE_LAB_ALICE_CCACHE"][len("FILE:"):], os.path.join(home, "krb", "alice"))
        env = base_env(lab,
                       CRADLE_CONFIG_DIR=os.path.join(home, "config"),
                       CRADLE_STATE_DIR=os.path.join(home, "state"),
                       CRADLE_CACHE_DIR=os.path.join(home, "cache"),
                       CRADLE_RUNTIME_DIR=os.path.join(home, "run"),
                       CRADLE_SYSTEM_CONFIG_DIR=os.path.join(home, "no-system-config"),
                       KRB5CCNAME="FILE:" + os.path.join(home, "krb", "alice"),
                       G_MESSAGES_DEBUG=None)
        agent = subprocess.Popen([AGENT, "--serial=" + SERIAL, "--store=" + os.path.join(home, "device"),
                                  "--kek-file=" + os.path.join(home, "kek"), "--confirm=approve"],
                                 env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            if os.path.exists(os.path.join(home, "run", "devices", SERIAL + ".sock")):
                break
            time.sleep(0.1)
        fingerprint = subprocess.run(["openssl", "x509", "-in", lab["CRADLE_LAB_SCEP_CA"], "-noout",
                                      "-fingerprint", "-sha256"], capture_output=True, text=True
                                     ).stdout.strip().split("=", 1)[1]
        done = subprocess.run([CRADLECTL, "types", "add", "bad-scep", "--protocol", "scep", "--url",
                               lab["CRADLE_LAB_SCEP_URL"], "--trust-anchors", lab["CRADLE_LAB_SCEP_CA"],
                               "--ca-fingerprint", fingerprint, "--subject", "CN=%s" % SERIAL,
                               "--challenge-file", "-"], input="not-the-challenge\n", capture_output=True,
                              text=True, env=env)
        tap.check("a SCEP type with a wrong challenge is added", done.returncode == 0, done.stderr)
        for _ in range(2):
            done = subprocess.run([CRADLECTL, "enroll", "--type", "bad-scep", "--json"], capture_output=True,
                                  text=True, env=env, timeout=120)
        tap.check("its enrollment is refused (exit %d)" % done.returncode, done.returncode == 2, done.stderr)
        runs = json.loads(subprocess.run([CRADLECTL, "log", "--json"], capture_output=True, text=True,
                                         env=env).stdout or "[]")
        tap.check("the journal has two runs", len(runs) == 2, runs)
        if len(runs) < 2:
            return
        run, other = runs[0], runs[1]
        # Everything sent so far written to the files before reading them;
        # journalctl reads /run/log/journal and /var/log/journal, both the
        # namespace's own.
        subprocess.run(["journalctl", "--sync"], capture_output=True, timeout=30)
        query = subprocess.run(["journalctl", "--no-pager", "-o", "json", "CRADLE_RUN=%d" % run["run"]],
                               capture_output=True, text=True, timeout=30)
        lines = [json.loads(line) for line in query.stdout.splitlines() if line.strip()]
        tap.check("journalctl CRADLE_RUN=%d finds the run's lines (%d)" % (run["run"], len(lines)),
                  len(lines) >= 3, query.stdout[-2000:] + query.stderr)
        tap.check("each of them is of that run", all(line.get("CRADLE_RUN") == str(run["run"]) for line in lines),
                  [line.get("CRADLE_RUN") for line in lines])
        steps = [line.get("CRADLE_STEP") for line in lines if line.get("CRADLE_STEP")]
        journal_steps = [step["step"] for step in run["steps"]]
        ordered = []
        for step in steps:
            if not ordered or ordered[-1] != step:
                ordered.append(step)
        tap.check("their CRADLE_STEP= follow the journal's steps (%s)" % ", ".join(ordered),
                  ordered == journal_steps, "journal: %s" % journal_steps)
        tap.check("the steps' lines carry CRADLE_DEVICE=%s" % SERIAL,
                  steps and all(line.get("CRADLE_DEVICE") == SERIAL for line in lines if line.get("CRADLE_STEP")),
                  [line.get("CRADLE_DEVICE") for line in lines])
        tap.check("and name the program and Cradle's log domain",
                  all(line.get("GLIB_DOMAIN") == "cradle-core" for line in lines),
                  [line.get("GLIB_DOMAIN") for line in lines])
        tap.check("no line of the other run %d is among them" % other["run"],
                  not [line for line in lines if line.get("CRADLE_RUN") == str(other["run"])])
        with open(os.path.join(home, "state", "cradle.log")) as f:
            kept = [line for line in f if " CRADLE_RUN=%d" % run["run"] in line]
        tap.check("cradle.log in the state folder has the same lines (%d)" % len(kept), len(kept) == len(lines),
                  "".join(kept))
    finally:
        if agent is not None:
            agent.terminate()
            agent.wait()
        journald.terminate()
        journald.wait()
        shutil.rmtree(home, ignore_errors=True)


def main():
    tap = Tap()
    if os.environ.get(INSIDE) == "1":
        lab = lab_env()
        inside(tap, lab)
        return tap.finish()
    if os.geteuid() != 0:
        return tap.skip_all("a journald of the test's own needs a mount namespace: run as root")
    if not os.access(JOURNALD, os.X_OK) or shutil.which("journalctl") is None or shutil.which("unshare") is None:
        return tap.skip_all("systemd-journald, journalctl or unshare is not installed")
    if lab_env() is None:
        return tap.skip_all("the lab is not running; start it with tests/lab/cradle-lab up")
    env = dict(os.environ)
    env[INSIDE] = "1"
    done = subprocess.run(["unshare", "--mount", "--propagation", "private", sys.executable,
                           os.path.abspath(__file__)], env=env, timeout=500)
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
