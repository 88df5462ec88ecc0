"""What the tests of `cradlectl diagnose` share: the lab's environment,
running the command, finding a check in its JSON, and TAP output.

Each test file imports it (its folder is on sys.path when run by meson as
`python3 tests/integration/test-diagnose-*.py`).
"""

import json
import os
import socket
import subprocess
import sys
import tempfile

BUILD = os.environ.get("CRADLE_BUILD_ROOT", "")
SOURCE = os.environ.get("CRADLE_SOURCE_ROOT", "")
CRADLECTL = os.path.join(BUILD, "cli", "cradlectl")
LAB = os.path.join(SOURCE, "tests", "lab", "cradle-lab")


def lab_env():
    """The lab's `cradle-lab env` as a dict, or None when the lab is not up."""
    if subprocess.run([LAB, "status"], capture_output=True).returncode != 0:
        return None
    out = subprocess.run([LAB, "env"], capture_output=True, text=True, check=True).stdout
    env = {}
    for line in out.splitlines():
        if line.startswith("export ") and "=" in line:
            name, value = line[len("export "):].split("=", 1)
            env[name] = value.strip("'")
    return env


def closed_port():
    """A loopback TCP port nothing listens on (bound, then closed)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def base_env(lab, **overrides):
    """The process environment with the lab's, then @overrides (None removes)."""
    env = dict(os.environ)
    env.update(lab)
    env["LANG"] = "C.UTF-8"
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def _backtrace(pid):
    """Every thread's stack of the process @pid, by gdb, for the log."""
    try:
        done = subprocess.run(["gdb", "-p", str(pid), "-batch", "-ex", "thread apply all bt"],
                              capture_output=True, text=True, timeout=60)
        return done.stdout
    except (OSError, subprocess.TimeoutExpired) as error:
        return "no backtrace: %s" % error


def diagnose(env, *args, prefix=(), timeout=120):
    """Runs `cradlectl diagnose --json ARGS` (after @prefix, e.g. faketime).
    Returns (exit code, the parsed JSON or None, stdout, stderr).

    A diagnosis ends on its own (its watchdog gives up a stuck hop), yet
    under a full parallel run one has been seen to outlive @timeout, rarely
    and without a trace.  Such a run's threads are written to stderr with
    gdb, so that the hang says where it is, and the diagnosis is run once
    more: a second hang fails the test."""
    command = list(prefix) + [CRADLECTL, "diagnose", "--json"] + list(args)
    for attempt in (1, 2):
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        try:
            stdout, stderr = process.communicate(timeout=timeout)
            break
        except subprocess.TimeoutExpired:
            sys.stderr.write("cradlectl diagnose outlived %d s (attempt %d); its threads:\n%s\n"
                             % (timeout, attempt, _backtrace(process.pid)))
            process.kill()
            process.communicate()
            if attempt == 2:
                raise
    try:
        report = json.loads(stdout)
    except ValueError:
        report = None
    return process.returncode, report, stdout, stderr


def hop(report, name):
    """The hop @name of a diagnose JSON report (a dict), or {}."""
    for entry in (report or {}).get("hops", []):
        if entry.get("hop") == name:
            return entry
    return {}


def check_of(report, hop_name, check_name):
    """The check @check_name of hop @hop_name, or {}."""
    for entry in hop(report, hop_name).get("checks", []):
        if entry.get("name") == check_name:
            return entry
    return {}


def verdicts(report):
    """{hop: verdict} for a quick look in a failure's detail."""
    return {entry.get("hop"): entry.get("verdict") for entry in (report or {}).get("hops", [])}


def failed_checks(report):
    """["hop/check", ...] of every check not ok and not skipped."""
    out = []
    for entry in (report or {}).get("hops", []):
        for check in entry.get("checks", []):
            if check.get("verdict") in ("failed", "warning"):
                out.append("%s/%s" % (entry.get("hop"), check.get("name")))
    return out


class Tap:
    """Collects results, prints TAP at the end."""

    def __init__(self):
        self.results = []

    def check(self, name, condition, detail=""):
        self.results.append((name, bool(condition), detail))

    def skip_all(self, why):
        print("1..0 # SKIP %s" % why)
        return 0

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


def temp_folder(prefix="cradle-diagnose-"):
    return tempfile.mkdtemp(prefix=prefix)
