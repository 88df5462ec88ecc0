#!/usr/bin/env python3
"""test-diagnose-ca.py: the type, ca and certificate hops of `cradlectl diagnose`
against the lab: all well for a template alice may enroll for, then one fault
each, made for this process only (the shared lab services keep running):

  * the CA stopped: a private second front-end of the lab CA, which a custom
    type points at, is stopped;
  * the CA's TLS untrusted: a custom type whose TrustAnchors is another CA;
  * a CA that accepts a connection and never answers (a socket of the test's);
  * a template the user may not use (bob and CradleDeviceRestricted);
  * a missing mail attribute (bob and User, which puts mail in the subject);

then, after an enrollment on a simulated device, the CRL and OCSP addresses
of the certificate the CA issued are asked, and the device's key types
checked against the template's.

Each fault fails the right check of the right hop with the right explanation
(the error table's name), and every other hop still reports.  Skips when the
lab is not up.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from diagnose_support import (BUILD, CRADLECTL, SOURCE, Tap, base_env, check_of, diagnose, hop,  # noqa: E402
                              lab_env, temp_folder, verdicts)

HOPS = ("device", "clock", "domain", "kerberos", "directory", "type", "ca", "certificate")
CA_CHECKS = ("dns", "tcp", "tls-chain", "tls-expiry", "tls-name", "sign-in", "service", "ca-certificate")


def detail(check):
    return (check.get("error") or {}).get("detail")


def every_hop_reports(report):
    return all(len(hop(report, name).get("checks", [])) > 0 for name in HOPS)


def write_type(folder, name, lines):
    with open(os.path.join(folder, name + ".conf"), "w") as f:
        f.write("[Cradle Certificate Type]\nName=%s\nDisplayName=%s\n%s" % (name, name, lines))


def show(report, *names):
    """The checks asked for, for a failure's detail."""
    out = [json.dumps(verdicts(report))]
    for name in names:
        hop_name, check_name = name.split("/")
        out.append("%s: %s" % (name, json.dumps(check_of(report, hop_name, check_name), indent=1)))
    return "\n".join(out)


def enrollable_template(env):
    """The template `cradlectl templates` lists enrollable for the user:
    CradleDeviceUPN when it is, else the first."""
    done = subprocess.run([CRADLECTL, "templates", "--json"], capture_output=True, text=True, env=env, timeout=120)
    try:
        entries = json.loads(done.stdout)
    except ValueError:
        return None
    names = [e["name"] for e in entries if e.get("kind") == "template" and e.get("status") == "enrollable"]
    return "CradleDeviceUPN" if "CradleDeviceUPN" in names else (names[0] if names else None)


def start_front_end(lab, log):
    """A private HTTPS front-end of the lab CA: (process, port)."""
    front = subprocess.Popen(["/usr/bin/python3", "-m", "labca", lab["CRADLE_LAB_DIR"], "serve",
                              "--https-port", "0", "--log", log],
                             cwd=os.path.join(SOURCE, "tests", "lab"), stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True)
    line = front.stdout.readline()
    if not line.startswith("port "):
        front.kill()
        front.wait()
        raise RuntimeError("the private lab CA front-end did not start: %r" % line)
    return front, int(line.split()[1])


def main():
    tap = Tap()
    lab = lab_env()
    if lab is None:
        return tap.skip_all("the lab is not running (tests/lab/cradle-lab up)")

    folder = temp_folder()
    front = None
    try:
        config = os.path.join(folder, "config")
        types = os.path.join(config, "types.d")
        os.makedirs(types)
        os.makedirs(os.path.join(folder, "system"))
        # The lab's client settings (domain, DC, TrustAnchors), with types of our own.
        shutil.copy(os.path.join(lab["CRADLE_LAB_DIR"], "client", "cradle.conf"), config)
        run = os.path.join(folder, "run")
        os.makedirs(run, mode=0o700)
        # State, cache and devices of the test's own: no certificate from
        # the CA and no device until the test makes them.
        alice = base_env(lab, CRADLE_CONFIG_DIR=config, CRADLE_SYSTEM_CONFIG_DIR=os.path.join(folder, "system"),
                         KRB5CCNAME=lab["CRADLE_LAB_ALICE_CCACHE"], CRADLE_STATE_DIR=os.path.join(folder, "state"),
                         CRADLE_CACHE_DIR=os.path.join(folder, "cache"), XDG_RUNTIME_DIR=run,
                         CRADLE_RUNTIME_DIR=None)
        bob = dict(alice, KRB5CCNAME=lab["CRADLE_LAB_BOB_CCACHE"])
        host = "ca1." + lab["CRADLE_LAB_DOMAIN"]

        # ---- all well: a template alice may enroll for ----------------------
        template = enrollable_template(alice)
        tap.check("cradlectl templates lists a template alice may enroll for", template is not None)
        if template is not None:
            rc, report, out, err = diagnose(alice, "--type", template)
            tap.check("all well: the report is JSON", report is not None, out + err)
            tap.check("all well: the type is found and enrollable",
                      check_of(report, "type", "type").get("verdict") == "ok" and
                      check_of(report, "type", "enrollable").get("verdict") == "ok",
                      show(report, "type/type", "type/enrollable"))
            flags = check_of(report, "type", "flags")
            tap.check("all well: the flags in words (approval, subject, key, usages, schema)",
                      flags.get("verdict") == "ok" and all(word in flags.get("found", "") for word in
                                                           ("Approval:", "Subject:", "Key:", "Extended key usage:",
                                                            "Schema version")), show(report, "type/flags"))
            bad = [name for name in CA_CHECKS if check_of(report, "ca", name).get("verdict") != "ok"]
            tap.check("all well: every check of the CA is ok (%s)" % ", ".join(CA_CHECKS), not bad,
                      show(report, *("ca/" + name for name in bad)))
            tap.check("all well: the CA checks name its host", host in check_of(report, "ca", "tcp").get("title", ""),
                      show(report, "ca/tcp"))
            bad = [name for name in ("eku", "sid-extension", "attributes")
                   if check_of(report, "certificate", name).get("verdict") != "ok"]
            tap.check("all well: the certificate will work (eku, sid-extension, attributes)", not bad,
                      show(report, *("certificate/" + name for name in bad)))
            tap.check("all well: the CA adds the SID extension with alice's SID",
                      "1.3.6.1.4.1.311.25.2" in check_of(report, "certificate", "sid-extension").get("found", ""),
                      show(report, "certificate/sid-extension"))
            tap.check("all well: the key check ran or says why not",
                      check_of(report, "certificate", "key").get("verdict") in ("ok", "skipped"),
                      show(report, "certificate/key"))

        # ---- no type: the type hop says how to name one ---------------------
        rc, report, out, err = diagnose(alice)
        tap.check("no type: the type hop is skipped, saying how to name one",
                  check_of(report, "type", "type").get("verdict") == "skipped" and
                  "--type" in check_of(report, "type", "type").get("found", ""), show(report, "type/type"))
        tap.check("no type: the enrollment service's CA is checked",
                  check_of(report, "ca", "tcp").get("verdict") == "ok" and
                  host in check_of(report, "ca", "tcp").get("title", ""), show(report, "ca/tcp"))

        # ---- the CA stopped: a private front-end, then stopped --------------
        front, port = start_front_end(lab, os.path.join(folder, "front.log"))
        write_type(types, "diag-private", "Protocol=certsrv\nURL=https://%s:%d/certsrv\nTemplate=CradleDeviceUPN\n"
                   "Auth=kerberos\nTrustAnchors=%s\n" % (host, port, lab["CRADLE_LAB_CA_TLS_ANCHOR"]))
        rc, report, out, err = diagnose(alice, "--type", "diag-private")
        bad = [name for name in CA_CHECKS if check_of(report, "ca", name).get("verdict") != "ok"]
        tap.check("a private front-end: every check of the CA is ok", not bad,
                  show(report, *("ca/" + name for name in bad)))
        tap.check("a private front-end: its CA certificate is the issuing CA",
                  "Corp Issuing CA" in check_of(report, "ca", "ca-certificate").get("found", ""),
                  show(report, "ca/ca-certificate"))
        tap.check("a private front-end: the TLS chain's AIA address is fetched",
                  check_of(report, "ca", "aia").get("verdict") == "ok", show(report, "ca/aia"))
        front.terminate()
        front.wait(timeout=10)
        front = None

        rc, report, out, err = diagnose(alice, "--type", "diag-private")
        tcp = check_of(report, "ca", "tcp")
        tap.check("CA stopped: the name still resolves", check_of(report, "ca", "dns").get("verdict") == "ok",
                  show(report, "ca/dns"))
        tap.check("CA stopped: tcp failed, CONNECTION_REFUSED",
                  tcp.get("verdict") == "failed" and detail(tcp) == "CONNECTION_REFUSED", show(report, "ca/tcp"))
        tap.check("CA stopped: the explanation says nothing listens",
                  "nothing is listening" in (tcp.get("error") or {}).get("explanation", ""), show(report, "ca/tcp"))
        tap.check("CA stopped: TLS, sign-in and the service are skipped, naming the TCP check",
                  all(check_of(report, "ca", name).get("verdict") == "skipped" and
                      "TCP" in check_of(report, "ca", name).get("found", "")
                      for name in ("tls-chain", "sign-in", "service")),
                  show(report, "ca/tls-chain", "ca/sign-in", "ca/service"))
        tap.check("CA stopped: the type hop is ok", check_of(report, "type", "type").get("verdict") == "ok",
                  show(report, "type/type"))
        tap.check("CA stopped: the ca hop failed", hop(report, "ca").get("verdict") == "failed", verdicts(report))
        tap.check("CA stopped: every hop still reports", every_hop_reports(report), verdicts(report))
        tap.check("CA stopped: exit 8 (a check failed)", rc == 8, "rc=%d" % rc)

        # ---- the CA's TLS untrusted: anchors of another CA ------------------
        # (EST without a sign-in: no template, so not the directory's roots either)
        write_type(types, "diag-untrusted", "Protocol=est\nURL=%s\nAuth=none\nKeyType=p256\nTrustAnchors=%s\n"
                   % (lab["CRADLE_LAB_EST_URL"], lab["CRADLE_LAB_SCEP_CA"]))
        rc, report, out, err = diagnose(alice, "--type", "diag-untrusted")
        chain = check_of(report, "ca", "tls-chain")
        tap.check("TLS untrusted: dns and tcp are ok",
                  check_of(report, "ca", "dns").get("verdict") == "ok" and
                  check_of(report, "ca", "tcp").get("verdict") == "ok", show(report, "ca/dns", "ca/tcp"))
        tap.check("TLS untrusted: tls-chain failed, TLS_UNTRUSTED_ISSUER",
                  chain.get("verdict") == "failed" and detail(chain) == "TLS_UNTRUSTED_ISSUER",
                  show(report, "ca/tls-chain"))
        tap.check("TLS untrusted: the anchors file is named",
                  lab["CRADLE_LAB_SCEP_CA"] in chain.get("found", ""), show(report, "ca/tls-chain"))
        tap.check("TLS untrusted: the name and the dates are still judged ok",
                  check_of(report, "ca", "tls-name").get("verdict") == "ok" and
                  check_of(report, "ca", "tls-expiry").get("verdict") == "ok",
                  show(report, "ca/tls-name", "ca/tls-expiry"))
        tap.check("TLS untrusted: the service is not asked (nothing sent over it)",
                  check_of(report, "ca", "service").get("verdict") == "skipped" and
                  "TLS" in check_of(report, "ca", "service").get("found", ""), show(report, "ca/service"))
        tap.check("TLS untrusted: every hop still reports", every_hop_reports(report), verdicts(report))

        # ---- a CA that accepts connections and never answers -----------------
        silent = socket.socket()
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        write_type(types, "diag-silent", "Protocol=est\nURL=https://127.0.0.1:%d/.well-known/est\nAuth=none\n"
                   "KeyType=p256\nTrustAnchors=%s\n" % (silent.getsockname()[1], lab["CRADLE_LAB_CA_TLS_ANCHOR"]))
        try:
            rc, report, out, err = diagnose(alice, "--type", "diag-silent", "--timeout", "1")
        finally:
            silent.close()
        chain = check_of(report, "ca", "tls-chain")
        tap.check("a silent CA: tcp is ok", check_of(report, "ca", "tcp").get("verdict") == "ok", show(report, "ca/tcp"))
        tap.check("a silent CA: the TLS handshake fails at its deadline, TIMED_OUT",
                  chain.get("verdict") == "failed" and detail(chain) == "TIMED_OUT", show(report, "ca/tls-chain"))
        tap.check("a silent CA: every hop still reports", every_hop_reports(report), verdicts(report))

        # ---- a template the user may not use --------------------------------
        rc, report, out, err = diagnose(bob, "--type", "CradleDeviceRestricted")
        enrollable = check_of(report, "type", "enrollable")
        tap.check("not permitted: enrollable failed, CERTSRV_E_TEMPLATE_DENIED",
                  enrollable.get("verdict") == "failed" and detail(enrollable) == "CERTSRV_E_TEMPLATE_DENIED",
                  show(report, "type/enrollable"))
        tap.check("not permitted: the reason names the group that may",
                  "Mobile Device Users" in enrollable.get("found", ""), show(report, "type/enrollable"))
        tap.check("not permitted: the CA is still checked",
                  check_of(report, "ca", "tcp").get("verdict") == "ok", show(report, "ca/tcp"))
        tap.check("not permitted: every hop still reports", every_hop_reports(report), verdicts(report))

        # ---- a missing mail attribute ----------------------------------------
        rc, report, out, err = diagnose(bob, "--type", "User")
        attributes = check_of(report, "certificate", "attributes")
        tap.check("no mail: attributes failed, CERTSRV_E_SUBJECT_EMAIL_REQUIRED",
                  attributes.get("verdict") == "failed" and detail(attributes) == "CERTSRV_E_SUBJECT_EMAIL_REQUIRED",
                  show(report, "certificate/attributes"))
        tap.check("no mail: it names mail as missing and bob's UPN as there",
                  "mail: MISSING" in attributes.get("found", "") and
                  "bob@" in attributes.get("found", ""), show(report, "certificate/attributes"))
        tap.check("no mail: the type hop says why bob cannot enroll",
                  check_of(report, "type", "enrollable").get("verdict") == "failed" and
                  detail(check_of(report, "type", "enrollable")) == "CERTSRV_E_SUBJECT_EMAIL_REQUIRED",
                  show(report, "type/enrollable"))
        tap.check("no mail: every hop still reports", every_hop_reports(report), verdicts(report))

        # ---- after an enrollment: the issued certificate's CRL and OCSP -------
        agent = subprocess.Popen([os.path.join(BUILD, "bridge", "agent", "cradle-agent"), "--serial=DIAG-CA-1",
                                  "--store=" + os.path.join(folder, "device"), "--kek-file=" + os.path.join(folder, "kek"),
                                  "--confirm=approve"], env=alice, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            socket_path = os.path.join(run, "cradle", "devices", "DIAG-CA-1.sock")
            for _ in range(100):
                if os.path.exists(socket_path):
                    break
                time.sleep(0.1)
            done = subprocess.run([CRADLECTL, "enroll", "--template", "CradleDeviceUPN"], capture_output=True,
                                  text=True, env=alice, timeout=120)
            tap.check("a certificate of CradleDeviceUPN is enrolled on a simulated device", done.returncode == 0,
                      done.stdout + done.stderr)
            rc, report, out, err = diagnose(alice, "--type", "CradleDeviceUPN")
            crl = check_of(report, "ca", "crl")
            tap.check("issued: the CRL is fetched from the issued certificate's ldap:/// and http:// CDP",
                      crl.get("verdict") == "ok" and "CRL ldap:///" in crl.get("found", "") and
                      "CRL http://" in crl.get("found", "") and "current" in crl.get("found", ""),
                      show(report, "ca/crl"))
            ocsp = check_of(report, "ca", "ocsp")
            tap.check("issued: OCSP answers for the issued certificate, signed and current (good)",
                      ocsp.get("verdict") == "ok" and "(good)" in ocsp.get("found", ""), show(report, "ca/ocsp"))
            key = check_of(report, "certificate", "key")
            tap.check("issued: the device makes the key the template asks for",
                      key.get("verdict") == "ok" and "rsa2048" in key.get("found", ""), show(report, "certificate/key"))
        finally:
            agent.terminate()
            agent.wait(timeout=10)
    finally:
        if front is not None:
            front.terminate()
            front.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main())
