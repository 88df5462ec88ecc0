#!/usr/bin/env python3
"""test-diagnose-device.py: the device hop of `cradlectl diagnose` against
real simulated devices (cradle-agent on a socket in a runtime folder of the
test's own), with the lab for the other hops:

- all well: a paired device, asked for by serial beside another: every
  device check ok, its model and serial in what was found, exit 0 when no
  other hop failed;
- an unpaired device: pairing fails with DEVICE_NOT_PAIRED and a next step
  that says how to pair; greeting, details and key types still run, the
  stores are skipped saying why; the device's user was never asked (its
  agent would decline) and it is still unpaired afterwards; exit 8;
- no device: the connection check fails with DEVICE_NOT_FOUND and its next
  step, the rest of the hop is skipped, and the domain, directory and ca
  hops (which do not need the device) still report ok; exit 8, and the
  text names the hop, the cause and the next step;
- a hostile device (ESC, BEL and bidi controls in its model and
  manufacturer): neither the text nor the JSON carries them raw.

Skips when the lab does not run.  TAP on stdout.
"""

import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from diagnose_support import (CRADLECTL, BUILD, Tap, base_env, check_of, diagnose,  # noqa: E402
                              failed_checks, hop, lab_env, temp_folder, verdicts)

AGENT = os.path.join(BUILD, "bridge", "agent", "cradle-agent")
DEVICE_CHECKS = ["transport", "hello", "info", "pairing", "key-types", "stores"]
RAW = ["\x1b", "\x07", "\u202e", "\u2066"]


class Devices:
    """Simulated devices listening in a runtime folder of their own."""

    def __init__(self, folder, env):
        self.folder = folder
        self.env = dict(env)
        self.agents = []

    def start(self, serial, *args):
        command = [AGENT, "--serial=" + serial,
                   "--store=%s/store-%s" % (self.folder, serial),
                   "--kek-file=%s/%s.kek" % (self.folder, serial)] + list(args)
        agent = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                 stdin=subprocess.DEVNULL, env=self.env, text=True)
        line = agent.stdout.readline()
        if "listening on" not in line:
            raise RuntimeError("cradle-agent did not start: %r" % line)
        self.agents.append(agent)
        return agent

    def stop(self):
        for agent in self.agents:
            agent.terminate()
            agent.wait(timeout=30)
            agent.stdout.close()
        self.agents = []


def device_checks(report):
    return [c.get("name") for c in hop(report, "device").get("checks", [])]


def show(report, *names):
    out = []
    for name in names:
        c = check_of(report, "device", name)
        out.append("device/%s: %s: %s %s" % (name, c.get("verdict"), c.get("found"), c.get("error") or ""))
    return "\n".join(out)


def template_for(env):
    """CradleDeviceUPN when `cradlectl templates` lists it enrollable, else
    the first enrollable template, else None."""
    done = subprocess.run([CRADLECTL, "templates", "--json"], capture_output=True, text=True, env=env, timeout=120)
    try:
        entries = json.loads(done.stdout)
    except ValueError:
        return None
    names = [e["name"] for e in entries if e.get("kind") == "template" and e.get("status") == "enrollable"]
    return "CradleDeviceUPN" if "CradleDeviceUPN" in names else (names[0] if names else None)


def no_raw(text):
    return not any(ch in text for ch in RAW)


def main():
    tap = Tap()
    lab = lab_env()
    if lab is None:
        return tap.skip_all("the lab is not running (tests/lab/cradle-lab up)")

    folder = temp_folder("cradle-diagnose-device-")
    devices = None
    try:
        runtime = os.path.join(folder, "run")
        state = os.path.join(folder, "state")
        os.makedirs(runtime, mode=0o700)
        os.makedirs(state, mode=0o700)
        env = base_env(lab, CRADLE_RUNTIME_DIR=runtime, CRADLE_STATE_DIR=state,
                       KRB5CCNAME=lab["CRADLE_LAB_ALICE_CCACHE"])
        devices = Devices(folder, env)

        # ---- no device ---------------------------------------------------------
        rc, report, out, err = diagnose(env)
        transport = check_of(report, "device", "transport")
        error = transport.get("error") or {}
        tap.check("no device: the report is JSON", report is not None, out + err)
        tap.check("no device: the connection fails with DEVICE_NOT_FOUND",
                  transport.get("verdict") == "failed" and error.get("detail") == "DEVICE_NOT_FOUND",
                  show(report, "transport"))
        tap.check("no device: the next step is to connect, unlock and start the agent",
                  "Connect the device" in (error.get("next_step") or "") and
                  "unlock" in (error.get("next_step") or "") and "agent" in (error.get("next_step") or ""),
                  error)
        tap.check("no device: the rest of the device hop is skipped, saying why",
                  device_checks(report) == DEVICE_CHECKS and
                  all(check_of(report, "device", n).get("verdict") == "skipped" and
                      "no device" in check_of(report, "device", n).get("found", "")
                      for n in DEVICE_CHECKS[1:]),
                  show(report, *DEVICE_CHECKS))
        tap.check("no device: the domain, directory and ca hops still report ok",
                  all(hop(report, h).get("verdict") == "ok" for h in ("domain", "directory", "ca")),
                  verdicts(report))
        tap.check("no device: every hop reports", all(hop(report, h).get("checks") for h in
                                                      ("device", "clock", "domain", "kerberos", "directory",
                                                       "type", "ca", "certificate")), verdicts(report))
        tap.check("no device: exit 8", rc == 8, "rc=%d" % rc)
        text = subprocess.run([CRADLECTL, "diagnose"], capture_output=True, text=True, env=env, timeout=120)
        tap.check("no device: the text names the hop, the cause and the next step",
                  "Device: FAILED" in text.stdout and "DEVICE_NOT_FOUND" in text.stdout and
                  "Connect the device" in text.stdout and text.returncode == 8,
                  text.stdout + text.stderr)

        # ---- an unpaired device (whose user would say no) ------------------------
        devices.start("DIAG-UNPAIRED", "--confirm-pair=decline")
        rc, report, out, err = diagnose(env)
        pairing = check_of(report, "device", "pairing")
        error = pairing.get("error") or {}
        tap.check("unpaired: pairing fails with DEVICE_NOT_PAIRED",
                  pairing.get("verdict") == "failed" and error.get("detail") == "DEVICE_NOT_PAIRED",
                  show(report, "pairing"))
        tap.check("unpaired: the next step says how to pair",
                  "Trust this computer" in (error.get("next_step") or "") and
                  "'cradlectl certs'" in (error.get("next_step") or ""), error)
        tap.check("unpaired: greeting, details and key types still run",
                  all(check_of(report, "device", n).get("verdict") == "ok"
                      for n in ("transport", "hello", "info", "key-types")),
                  show(report, "transport", "hello", "info", "key-types"))
        tap.check("unpaired: the stores are skipped, saying why",
                  check_of(report, "device", "stores").get("verdict") == "skipped" and
                  "paired" in check_of(report, "device", "stores").get("found", ""),
                  show(report, "stores"))
        tap.check("unpaired: only the pairing fails in the device hop",
                  [c for c in failed_checks(report) if c.startswith("device/")] == ["device/pairing"],
                  failed_checks(report))
        tap.check("unpaired: exit 8", rc == 8, "rc=%d" % rc)
        template = template_for(env)
        tap.check("a template alice may enroll for is listed", template is not None)
        if template is not None:
            rc, report, out, err = diagnose(env, "--type", template)
            key = next((c for c in hop(report, "certificate").get("checks", []) if c.get("name") == "key"), {})
            tap.check("unpaired: the certificate hop's key check is skipped, naming the device",
                      key.get("verdict") == "skipped" and "device" in key.get("found", ""), key)
        listed = subprocess.run([CRADLECTL, "devices", "--json"], capture_output=True, text=True, env=env,
                                timeout=60)
        tap.check("unpaired: the device was not paired behind its user's back",
                  '"paired" : false' in listed.stdout or '"paired": false' in listed.stdout,
                  listed.stdout + listed.stderr)
        devices.stop()

        # ---- all well: a paired device, asked for by serial beside another -----
        devices.start("DIAG-OTHER", "--confirm-pair=approve")
        devices.start("DIAG-PAIRED", "--confirm-pair=approve", "--model=Tablet 7", "--manufacturer=Example Corp")
        paired = subprocess.run([CRADLECTL, "certs", "--device", "DIAG-PAIRED"], capture_output=True, text=True,
                                env=env, timeout=120)
        tap.check("all well: `cradlectl certs` pairs the device", paired.returncode == 0,
                  paired.stdout + paired.stderr)
        rc, report, out, err = diagnose(env, "--device", "DIAG-PAIRED")
        tap.check("all well: every device check is ok",
                  device_checks(report) == DEVICE_CHECKS and
                  all(check_of(report, "device", n).get("verdict") == "ok" for n in DEVICE_CHECKS),
                  show(report, *DEVICE_CHECKS))
        info = check_of(report, "device", "info").get("found", "")
        tap.check("all well: the device's model and serial are found",
                  "Example Corp Tablet 7" in info and "serial DIAG-PAIRED" in info, info)
        tap.check("all well: the device asked for is the one checked, among those found",
                  "socket:DIAG-PAIRED" in check_of(report, "device", "transport").get("found", "") and
                  "2 devices found" in check_of(report, "device", "transport").get("found", ""),
                  show(report, "transport"))
        tap.check("all well: exit 0 when nothing failed",
                  rc == (8 if failed_checks(report) else 0), "rc=%d %s" % (rc, failed_checks(report)))
        if template is not None:
            rc, report, out, err = diagnose(env, "--type", template, "--device", "DIAG-PAIRED")
            key = next((c for c in hop(report, "certificate").get("checks", []) if c.get("name") == "key"), {})
            tap.check("all well: the certificate hop gets the device's key types (DEVICE)",
                      key.get("verdict") in ("ok", "failed") and "the device makes" in key.get("found", ""), key)
        devices.stop()

        # ---- a hostile device ---------------------------------------------------
        devices.start("DIAG-HOSTILE", "--model=\x1b]0;owned\x07Phone\u202etxt.exe",
                      "--manufacturer=\x1b[2J\u2066Evil")
        rc, report, out, err = diagnose(env)
        info = check_of(report, "device", "info").get("found", "")
        tap.check("hostile: the details are found, escaped",
                  "\\x1b]0;owned\\x07Phone\\u202etxt.exe" in info and "\\x1b[2J\\u2066Evil" in info, info)
        tap.check("hostile: the JSON carries no raw control or bidi character", no_raw(out), repr(out[:2000]))
        text = subprocess.run([CRADLECTL, "diagnose"], capture_output=True, text=True, env=env, timeout=120)
        tap.check("hostile: the text carries no raw control or bidi character",
                  "Phone" in text.stdout and no_raw(text.stdout + text.stderr), repr(text.stdout[:2000]))
    finally:
        if devices is not None:
            devices.stop()
        shutil.rmtree(folder, ignore_errors=True)
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main())
