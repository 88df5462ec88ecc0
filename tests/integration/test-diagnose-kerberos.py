#!/usr/bin/python3
"""`cradlectl diagnose` against the lab: the kerberos and clock hops when
all is well, and three faults made for this process alone (never the
shared lab): the KDC unreachable (a private krb5.conf whose KDC is a
closed port, and a fresh cache of our own without service tickets), an
expired ticket (kinit with a five-second lifetime, waited out), one that
ends within the hour (kinit -l 30m: a warning), a certificate type whose
CA host the domain does not know (KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN), and a
clock ten and two minutes ahead (libfaketime).  Each fault fails the
right check with the error table's explanation, and every other hop
still reports.

Passwords go to kinit on standard input, never on a command line.
Skips when the lab does not run; the clock cases skip, saying why,
without libfaketime.  TAP on stdout.
"""

import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from diagnose_support import (Tap, base_env, check_of, closed_port, diagnose, hop,  # noqa: E402
                              lab_env, temp_folder, verdicts)

HOPS = ["device", "clock", "domain", "kerberos", "directory", "type", "ca", "certificate"]
KERBEROS_CHECKS = ["ticket", "service-ticket-dc", "service-ticket-ca", "enctypes"]
CLOCK_CHECKS = ["skew-kdc", "skew-dc"]
FAKETIME_LIBS = ["/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
                 "/usr/lib/faketime/libfaketime.so.1"]

tap = Tap()


def kinit(lab, folder, name, *options):
    """A fresh ticket for alice into a FILE cache of our own; the password
    on standard input.  Returns the cache's name."""
    ccache = "FILE:" + os.path.join(folder, name)
    env = base_env(lab, KRB5CCNAME=ccache, KRB5_TRACE=None)
    principal = "%s@%s" % (lab["CRADLE_LAB_ALICE_USER"], lab["CRADLE_LAB_REALM"])
    done = subprocess.run(["kinit"] + list(options) + [principal],
                          input=lab["CRADLE_LAB_ALICE_PASSWORD"] + "\n", env=env,
                          capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise RuntimeError("kinit failed: %s" % done.stderr.strip())
    return ccache


def config_with_kdc(lab, folder, kdc):
    """A copy of the lab's krb5.conf whose realm's only KDC is @kdc."""
    with open(lab["KRB5_CONFIG"]) as f:
        lines = f.read().splitlines()
    changed = []
    for line in lines:
        if line.strip().startswith("kdc ") or line.strip().startswith("kdc="):
            indent = line[:len(line) - len(line.lstrip())]
            line = "%skdc = %s" % (indent, kdc)
        changed.append(line)
    path = os.path.join(folder, "krb5.conf")
    with open(path, "w") as f:
        f.write("\n".join(changed) + "\n")
    return path


def detail_of(check):
    return (check.get("error") or {}).get("detail")


def describe(report, out, err):
    return "verdicts %s\nstdout %s\nstderr %s" % (verdicts(report), out[-3000:], err[-2000:])


def others_report(name, report, but, out, err):
    """Every hop but @but has checks, and none of ours is missing."""
    missing = [h for h in HOPS if h not in but and not hop(report, h).get("checks")]
    tap.check("%s: the other hops still report" % name, report is not None and not missing,
              "hops without checks: %s\n%s" % (missing, describe(report, out, err)))


def case_all_well(lab, folder):
    ccache = kinit(lab, folder, "fresh")
    env = base_env(lab, KRB5CCNAME=ccache)
    rc, report, out, err = diagnose(env)
    info = describe(report, out, err)
    tap.check("all well: the report is JSON", report is not None, info)
    tap.check("all well: exit code 0 or 8", rc in (0, 8), "rc %d\n%s" % (rc, info))
    for name in KERBEROS_CHECKS:
        check = check_of(report, "kerberos", name)
        tap.check("all well: kerberos/%s ok" % name, check.get("verdict") == "ok",
                  "%s\n%s" % (check, info))
    for name in CLOCK_CHECKS:
        check = check_of(report, "clock", name)
        tap.check("all well: clock/%s ok" % name, check.get("verdict") == "ok",
                  "%s\n%s" % (check, info))
    ticket = check_of(report, "kerberos", "ticket").get("found", "")
    tap.check("all well: the ticket check names the principal and its cache",
              "alice@" + lab["CRADLE_LAB_REALM"] in ticket and ccache in ticket, ticket)
    dc = check_of(report, "kerberos", "service-ticket-dc").get("found", "")
    tap.check("all well: a ticket for ldap/<the DC>, with its times and enctypes",
              "ldap/dc1." in dc and "valid until" in dc and "session key aes" in dc, dc)
    ca = check_of(report, "kerberos", "service-ticket-ca").get("found", "")
    tap.check("all well: a ticket for HTTP/<the CA host>", "HTTP/ca1." in ca, ca)
    enctypes = check_of(report, "kerberos", "enctypes").get("found", "")
    tap.check("all well: the enctypes are named", "krbtgt/" in enctypes and "aes" in enctypes,
              enctypes)


def case_kdc_unreachable(lab, folder):
    ccache = kinit(lab, folder, "no-service-tickets")
    config = config_with_kdc(lab, folder, "127.0.0.1:%d" % closed_port())
    env = base_env(lab, KRB5CCNAME=ccache, KRB5_CONFIG=config)
    rc, report, out, err = diagnose(env)
    info = describe(report, out, err)
    tap.check("KDC unreachable: exit code 8", rc == 8, "rc %d\n%s" % (rc, info))
    kdc = check_of(report, "clock", "skew-kdc")
    tap.check("KDC unreachable: clock/skew-kdc failed, KRB5_KDC_UNREACH",
              kdc.get("verdict") == "failed" and detail_of(kdc) == "KRB5_KDC_UNREACH",
              "%s\n%s" % (kdc, info))
    dc_ticket = check_of(report, "kerberos", "service-ticket-dc")
    tap.check("KDC unreachable: kerberos/service-ticket-dc failed, KRB5_KDC_UNREACH",
              dc_ticket.get("verdict") == "failed" and detail_of(dc_ticket) == "KRB5_KDC_UNREACH"
              and (dc_ticket.get("error") or {}).get("next_step"),
              "%s\n%s" % (dc_ticket, info))
    tap.check("KDC unreachable: the ticket in the cache is still ok",
              check_of(report, "kerberos", "ticket").get("verdict") == "ok", info)
    tap.check("KDC unreachable: the DC's clock is still read (LDAP is up)",
              check_of(report, "clock", "skew-dc").get("verdict") == "ok", info)
    others_report("KDC unreachable", report, [], out, err)


def case_expired(lab, folder):
    ccache = kinit(lab, folder, "short", "-l", "5s")
    env = base_env(lab, KRB5CCNAME=ccache)
    # Wait until klist itself says the ticket is no longer valid.
    for _ in range(60):
        if subprocess.run(["klist", "-s", "-c", ccache], env=env).returncode != 0:
            break
        time.sleep(1)
    rc, report, out, err = diagnose(env)
    info = describe(report, out, err)
    ticket = check_of(report, "kerberos", "ticket")
    tap.check("expired: exit code 8", rc == 8, "rc %d\n%s" % (rc, info))
    tap.check("expired: kerberos/ticket failed, KRB5KRB_AP_ERR_TKT_EXPIRED",
              ticket.get("verdict") == "failed"
              and detail_of(ticket) == "KRB5KRB_AP_ERR_TKT_EXPIRED"
              and "expired" in (ticket.get("error") or {}).get("message", ""),
              "%s\n%s" % (ticket, info))
    dc_ticket = check_of(report, "kerberos", "service-ticket-dc")
    tap.check("expired: the service tickets are skipped, saying why",
              dc_ticket.get("verdict") == "skipped" and "ticket" in dc_ticket.get("found", ""),
              "%s\n%s" % (dc_ticket, info))
    for name in CLOCK_CHECKS:
        tap.check("expired: clock/%s still ok" % name,
                  check_of(report, "clock", name).get("verdict") == "ok", info)
    others_report("expired", report, [], out, err)


def case_ending_soon(lab, folder):
    ccache = kinit(lab, folder, "half-hour", "-l", "30m")
    env = base_env(lab, KRB5CCNAME=ccache)
    rc, report, out, err = diagnose(env)
    info = describe(report, out, err)
    ticket = check_of(report, "kerberos", "ticket")
    error = ticket.get("error") or {}
    tap.check("ending within the hour: kerberos/ticket is a warning that says when",
              ticket.get("verdict") == "warning" and "ends at" in error.get("message", "")
              and "min left" in ticket.get("found", ""),
              "%s\n%s" % (ticket, info))
    tap.check("ending within the hour: the service tickets are still checked",
              check_of(report, "kerberos", "service-ticket-dc").get("verdict") == "ok", info)


def case_types(lab, folder):
    """With --type: the CA host of the type's URL; none for a type that
    signs in with a password; an unknown host is the table's
    SERVER_UNKNOWN."""
    config = os.path.join(folder, "config")
    types = os.path.join(config, "types.d")
    os.makedirs(types)
    os.makedirs(os.path.join(folder, "system"))
    # The lab's client settings (domain, DC), with types of our own.
    shutil.copy(os.path.join(lab["CRADLE_LAB_DIR"], "client", "cradle.conf"), config)
    for name, url, auth in (("diag-password", lab["CRADLE_LAB_CERTSRV_URL"], "password"),
                            ("diag-nowhere", "https://nowhere.%s/certsrv" % lab["CRADLE_LAB_DOMAIN"],
                             "kerberos")):
        with open(os.path.join(types, name + ".conf"), "w") as f:
            f.write("[Cradle Certificate Type]\nName=%s\nDisplayName=%s\nProtocol=certsrv\n"
                    "URL=%s\nAuth=%s\nTemplate=CradleDeviceUPN\nTrustAnchors=%s\n"
                    % (name, name, url, auth, lab["CRADLE_LAB_CA_TLS_ANCHOR"]))
    ccache = kinit(lab, folder, "types")
    env = base_env(lab, KRB5CCNAME=ccache, CRADLE_CONFIG_DIR=config,
                   CRADLE_SYSTEM_CONFIG_DIR=os.path.join(folder, "system"))

    rc, report, out, err = diagnose(env, "--type", "CradleDeviceUPN")
    ca = check_of(report, "kerberos", "service-ticket-ca")
    tap.check("a template type: a ticket for HTTP/<its CA's host>",
              ca.get("verdict") == "ok" and "HTTP/ca1.%s" % lab["CRADLE_LAB_DOMAIN"] in ca.get("found", ""),
              "%s\n%s" % (ca, describe(report, out, err)))

    rc, report, out, err = diagnose(env, "--type", "diag-password")
    ca = check_of(report, "kerberos", "service-ticket-ca")
    tap.check("a type signing in with a password: no CA ticket, saying why",
              ca.get("verdict") == "skipped" and "password" in ca.get("found", ""),
              "%s\n%s" % (ca, describe(report, out, err)))

    rc, report, out, err = diagnose(env, "--type", "diag-nowhere")
    ca = check_of(report, "kerberos", "service-ticket-ca")
    tap.check("a CA host the domain does not know: failed, KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN",
              ca.get("verdict") == "failed" and detail_of(ca) == "KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN"
              and "HTTP/nowhere." in (ca.get("error") or {}).get("message", ""),
              "%s\n%s" % (ca, describe(report, out, err)))
    tap.check("a CA host the domain does not know: the DC's ticket is still ok",
              check_of(report, "kerberos", "service-ticket-dc").get("verdict") == "ok",
              describe(report, out, err))


def case_skew(lab, folder, offset, verdict):
    ccache = kinit(lab, folder, "skew%s" % offset.strip("+-"))
    env = base_env(lab, KRB5CCNAME=ccache)
    rc, report, out, err = diagnose(env, prefix=["faketime", "-f", offset])
    info = describe(report, out, err)
    name = "clock %s" % offset
    for check_name in CLOCK_CHECKS:
        check = check_of(report, "clock", check_name)
        error = check.get("error") or {}
        tap.check("%s: clock/%s %s, KRB5KRB_AP_ERR_SKEW, with a next step"
                  % (name, check_name, verdict),
                  check.get("verdict") == verdict and detail_of(check) == "KRB5KRB_AP_ERR_SKEW"
                  and "ahead of" in check.get("found", "")
                  and "timedatectl" in error.get("message", "") and error.get("next_step"),
                  "%s\n%s" % (check, info))
    tap.check("%s: the kerberos hop still reports its ticket" % name,
              check_of(report, "kerberos", "ticket").get("verdict") == "ok", info)
    if verdict == "failed":
        tap.check("%s: exit code 8" % name, rc == 8, "rc %d\n%s" % (rc, info))
    others_report(name, report, [], out, err)


def main():
    lab = lab_env()
    if lab is None:
        return tap.skip_all("the lab does not run (tests/lab/cradle-lab status)")
    folder = temp_folder()
    try:
        case_all_well(lab, folder)
        case_kdc_unreachable(lab, folder)
        case_expired(lab, folder)
        case_ending_soon(lab, folder)
        case_types(lab, folder)
        if shutil.which("faketime") is None or not any(os.path.exists(p) for p in FAKETIME_LIBS):
            print("# libfaketime is missing (Debian package faketime): the clock cases skip")
            tap.check("clock +10m # SKIP libfaketime is missing", True)
            tap.check("clock +2m # SKIP libfaketime is missing", True)
        else:
            case_skew(lab, folder, "+10m", "failed")
            case_skew(lab, folder, "+2m", "warning")
    finally:
        # Our tickets leave with the folder.
        for name in os.listdir(folder):
            if os.path.isfile(os.path.join(folder, name)) and not name.endswith(".conf"):
                subprocess.run(["kdestroy", "-q", "-c", "FILE:" + os.path.join(folder, name)],
                               capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main())
