#!/usr/bin/python3
"""`cradlectl diagnose` against the lab with all well: a simulated device
paired, alice's ticket, a lab template: every hop and every check ok, in
JSON and for people; and without --type, the type hops skipped saying why.

The faults of each hop are in test-diagnose-<hop>.py.  Skips when the lab
does not run.  TAP on stdout.
"""

import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import diagnose_support as ds  # noqa: E402

AGENT = os.path.join(ds.BUILD, "bridge", "agent", "cradle-agent")
TYPE = "CradleDeviceUPN"
FORWARD = os.path.join(ds.SOURCE, "tests", "e2e", "tcp-forward.py")


def start_forward(port, host, target):
    """tcp-forward.py on 127.0.0.1:PORT (0: any) to HOST:TARGET; (process, port)."""
    forward = subprocess.Popen(["/usr/bin/python3", FORWARD, str(port), host, str(target)],
                               stdout=subprocess.PIPE, text=True)
    line = forward.stdout.readline()
    return forward, int(line.split()[1])


def start_agent(work, serial):
    store = os.path.join(work, "device")
    os.makedirs(store, mode=0o700, exist_ok=True)
    log = open(os.path.join(work, "agent.log"), "w")
    agent = subprocess.Popen([AGENT, "--serial=" + serial, "--store=" + store,
                              "--kek-file=" + os.path.join(work, "kek"), "--confirm=approve"],
                             stdout=log, stderr=subprocess.STDOUT, env=os.environ)
    sock = os.path.join(os.environ["CRADLE_RUNTIME_DIR"], "devices", serial + ".sock")
    for _ in range(100):
        if os.path.exists(sock):
            break
        time.sleep(0.05)
    return agent


def main():
    tap = ds.Tap()
    lab = ds.lab_env()
    if lab is None:
        return tap.skip_all("the lab is not running (tests/lab/cradle-lab up)")

    work = ds.temp_folder()
    agent = None
    try:
        for name in ("run", "state"):
            os.makedirs(os.path.join(work, name), mode=0o700)
        os.environ["CRADLE_RUNTIME_DIR"] = os.path.join(work, "run")
        os.environ["CRADLE_STATE_DIR"] = os.path.join(work, "state")
        env = ds.base_env(lab, CRADLE_RUNTIME_DIR=os.environ["CRADLE_RUNTIME_DIR"],
                          CRADLE_STATE_DIR=os.environ["CRADLE_STATE_DIR"],
                          KRB5CCNAME=lab["CRADLE_LAB_ALICE_CCACHE"])
        agent = start_agent(work, "DIAG-ALL-1")
        # Paired once, as a user would before (diagnose never pairs).
        done = subprocess.run([ds.CRADLECTL, "certs"], capture_output=True, text=True, env=env, timeout=60)
        tap.check("the simulated device is paired (cradlectl certs)", done.returncode == 0, done.stderr)

        code, report, out, err = ds.diagnose(env, "--type", TYPE)
        tap.check("all well: exit 0", code == 0, err + out)
        tap.check("all well: the verdict is ok", report is not None and report.get("verdict") == "ok",
                  "not ok: %s" % ds.failed_checks(report))
        for entry in (report or {}).get("hops", []):
            checks = entry.get("checks", [])
            # A check may be skipped where the lab has nothing to check (no
            # DNS SRV when the settings name the DC), saying why.
            tap.check("all well: hop %s is ok with %d checks" % (entry.get("hop"), len(checks)),
                      entry.get("verdict") == "ok" and checks
                      and all(c.get("verdict") == "ok"
                              or (c.get("verdict") == "skipped" and c.get("found", "").startswith("skipped: "))
                              for c in checks),
                      "\n".join("%s %s: %s %s" % (c.get("name"), c.get("verdict"), c.get("found"),
                                                  (c.get("error") or {}).get("message", ""))
                                for c in checks))
        tap.check("all eight hops are listed",
                  [h.get("hop") for h in (report or {}).get("hops", [])]
                  == ["device", "clock", "domain", "kerberos", "directory", "type", "ca", "certificate"],
                  ds.verdicts(report))
        tap.check("the type and device are named", report is not None and report.get("type") == TYPE, out)
        tap.check("the device's serial is in what was found",
                  any("DIAG-ALL-1" in c.get("found", "") for c in ds.hop(report, "device").get("checks", [])),
                  out)

        # For people: each hop's title and each check's verdict, exit 0.
        done = subprocess.run([ds.CRADLECTL, "diagnose", "--type", TYPE], capture_output=True, text=True,
                              env=env, timeout=120)
        tap.check("for people: exit 0", done.returncode == 0, done.stdout + done.stderr)
        tap.check("for people: every hop's title is shown",
                  all(title in done.stdout for title in ("Device", "Clock", "Domain", "Kerberos", "Directory",
                                                         "Certification authority")),
                  done.stdout)

        # No type named: the type and certificate hops say how to name one.
        code, report, out, err = ds.diagnose(env)
        type_checks = ds.hop(report, "type").get("checks", [])
        tap.check("no --type: the type hop is skipped, saying why",
                  type_checks and all(c.get("verdict") == "skipped" and c.get("found") for c in type_checks), out)
        tap.check("no --type: the CA hop still checks the enrollment services",
                  ds.hop(report, "ca").get("verdict") == "ok", out)
        tap.check("no --type: nothing failed (exit 0)", code == 0, "%s %s" % (ds.failed_checks(report), err))

        # The DC stops after an enrollment kept its catalog (the same
        # address: a forwarder of this test's own, then killed): the type comes from
        # the kept catalog with a warning, so the CA and the certificate
        # are still checked.
        forward, port = start_forward(0, "127.0.0.1", 389)
        dc = "ldap://dc1.corp.example.test:%d" % port
        down_env = dict(env, CRADLE_DC=dc)
        # An enrollment keeps the catalog it read (cradle-type-lookup.c).
        done = subprocess.run([ds.CRADLECTL, "enroll", "--template", TYPE], capture_output=True, text=True,
                              env=down_env, timeout=120)
        tap.check("an enrollment through the DC's second address works, keeping the catalog",
                  done.returncode == 0, done.stdout + done.stderr)
        forward.kill()
        forward.wait()
        code, report, out, err = ds.diagnose(down_env, "--type", TYPE)
        type_check = ds.check_of(report, "type", "type")
        tap.check("DC stopped: the directory hop fails", ds.hop(report, "directory").get("verdict") == "failed",
                  ds.verdicts(report))
        tap.check("DC stopped: the type comes from the kept catalog, with a warning",
                  type_check.get("verdict") == "warning" and "kept" in type_check.get("found", ""), type_check)
        # Its CRL in the directory (ldap:///) is out of reach with the DC:
        # the crl check may say so; the CA itself answers.
        tap.check("DC stopped: the CA is still checked: its TLS and service are ok",
                  all(ds.check_of(report, "ca", name).get("verdict") == "ok"
                      for name in ("tcp", "tls-chain", "sign-in", "service", "ocsp")), ds.hop(report, "ca"))
        tap.check("DC stopped: the certificate hop still reports",
                  ds.hop(report, "certificate").get("verdict") in ("ok", "warning"), ds.hop(report, "certificate"))
        tap.check("DC stopped: exit 8", code == 8, err)
    finally:
        if agent is not None:
            agent.send_signal(signal.SIGTERM)
            try:
                agent.wait(timeout=10)
            except subprocess.TimeoutExpired:
                agent.kill()
        shutil.rmtree(work, ignore_errors=True)
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main())
