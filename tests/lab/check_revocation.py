"""The lab CA's revocation as a client sees it (imported by check-lab.py):
the CDP and OCSP addresses in what it issues, the OCSP responder (good,
revoked with its reason, unknown, nonce) asked by `openssl ocsp`, and the
CRL fetched over HTTP and read from the directory (GSSAPI as alice), each
checked with `openssl verify -crl_check`, after `cradle-lab revoke`.
"""

import os
import re
import subprocess
import tempfile
import urllib.request

import ldap
import ldap.sasl
import ldapurl
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import AuthorityInformationAccessOID

import check_ca


OID_SID_EXT = x509.ObjectIdentifier("1.3.6.1.4.1.311.25.2")


def _tlv(tag, body):
    n = len(body)
    ln = bytes([n]) if n < 0x80 else bytes([0x80 | ((n.bit_length() + 7) // 8)]) + \
        n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag]) + ln + body


def _seq(body):
    return _tlv(0x30, body)


def _pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def issue(cl, template="CradleDeviceUPN", k=None, user="alice"):
    """certsrv, Negotiate: -> (certificate, key) or (None, key)."""
    import urllib.parse
    k = k or check_ca.key()
    body = urllib.parse.urlencode({"Mode": "newreq", "CertRequest": check_ca.pem_csr(
        check_ca.csr(k)), "CertAttrib": "CertificateTemplate:" + template,
        "TargetStoreFlags": "0", "SaveCert": "yes"})
    st, r, page = cl.request("POST", "/certsrv/certfnsh.asp", body,
                             {"Content-Type": "application/x-www-form-urlencoded"},
                             user, "negotiate")
    m = re.search(rb"certnew\.cer\?ReqID=(\d+)&amp;", page)
    if not m:
        return None, k
    st, r, data = cl.request("GET", "/certsrv/certnew.cer?ReqID=%s&Enc=bin"
                             % m.group(1).decode(), user=user, how="negotiate")
    return (x509.load_der_x509_certificate(data) if st == 200 else None), k


def run(check, lab, labdir, here):
    ca = lab["ca"]
    urls = ca["urls"]
    cl = check_ca.Client(lab, labdir)
    tmp = tempfile.mkdtemp(prefix="check-lab-")
    root_pem, issuing_pem = lab["cas"]["root"]["pem"], lab["cas"]["issuing"]["pem"]

    def ocsp(cert_path):
        out = subprocess.run(["openssl", "ocsp", "-url", urls["ocsp"], "-issuer", issuing_pem,
                              "-cert", cert_path, "-CAfile", root_pem, "-timeout", "10"],
                             capture_output=True, text=True, timeout=30)
        return out.returncode, out.stdout + out.stderr

    def verify_crl(cert_path, crl_der):
        crl_pem = os.path.join(tmp, "crl.pem")
        with open(crl_pem, "wb") as f:
            f.write(x509.load_der_x509_crl(crl_der).public_bytes(serialization.Encoding.PEM))
        out = subprocess.run(["openssl", "verify", "-crl_check", "-CAfile", root_pem,
                              "-untrusted", issuing_pem, "-CRLfile", crl_pem, cert_path],
                             capture_output=True, text=True, timeout=30)
        return out.returncode, out.stdout + out.stderr

    # A short-lived certificate: once expired it leaves the CRL, which so
    # does not grow with every run.
    cert, _k = issue(cl, lab["ca"]["renewal"]["short_lived_template"])
    check("revocation: certsrv issues a short-lived certificate", cert is not None)
    if cert is None:
        return
    leaf = os.path.join(tmp, "leaf.pem")
    with open(leaf, "wb") as f:
        f.write(_pem(cert))

    cdp = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    names = [n.value for dp in cdp for n in (dp.full_name or [])]
    check("issued: one CDP with the ldap:/// URL (empty host) then the http URL of lab.json",
          len(cdp) == 1 and names == [urls["crl_ldap"], urls["crl_http"]]
          and names[0].startswith("ldap:///CN="), names)
    aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    ocsp_urls = [d.access_location.value for d in aia
                 if d.access_method == AuthorityInformationAccessOID.OCSP]
    check("issued: AIA carries the OCSP URL of lab.json besides caIssuers",
          ocsp_urls == [urls["ocsp"]] and any(
              d.access_method == AuthorityInformationAccessOID.CA_ISSUERS for d in aia),
          ocsp_urls)

    # KB5014754's SID extension, as AD CS adds it to a subject built from AD.
    sid = lab["users"]["alice"]["sid"].encode("ascii")
    try:
        sid_ext = cert.extensions.get_extension_for_oid(OID_SID_EXT)
        got = sid_ext.value.value
    except x509.ExtensionNotFound:
        sid_ext, got = None, None
    want = _seq(_tlv(0xA0, bytes.fromhex("060a2b0601040182371902 01".replace(" ", ""))
                    + _tlv(0xA0, _tlv(0x04, sid))))
    check("issued: SID extension 1.3.6.1.4.1.311.25.2 (non-critical) with alice's SID "
          "in an OtherName 1.3.6.1.4.1.311.25.2.1", sid_ext is not None
          and not sid_ext.critical and got == want, got)

    # --- OCSP before the revocation ---------------------------------------------
    port = ca["revocation"]["ocsp_listen"].rsplit(":", 1)[1]
    out = subprocess.run(["ss", "-Hltn", "sport = :%s" % port], capture_output=True,
                         text=True, timeout=10)
    local = [line.split()[3] for line in out.stdout.splitlines() if line.strip()]
    check("the OCSP responder listens on 127.0.0.1:%s only" % port,
          local == ["127.0.0.1:%s" % port], out.stdout)
    rc, out = ocsp(leaf)
    check("openssl ocsp: good, response verified (delegated signer), nonce echoed",
          rc == 0 and "%s: good" % leaf in out and "Response verify OK" in out
          and "WARNING: no nonce" not in out, out)
    with open(ca["files"]["ocsp_signer"], "rb") as f:
        signer = x509.load_pem_x509_certificate(f.read())
    eku = signer.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    check("OCSP signer: issued by the issuing CA, EKU OCSPSigning, ocsp-nocheck",
          signer.issuer.rfc4514_string() == lab["cas"]["issuing"]["subject"]
          and x509.oid.ExtendedKeyUsageOID.OCSP_SIGNING in eku
          and signer.extensions.get_extension_for_class(x509.OCSPNoCheck) is not None)
    rc, out = ocsp(ca["files"]["tls_cert"])
    check("openssl ocsp for a serial the CA database does not hold (ca1's TLS cert): unknown",
          ": unknown" in out, out)

    # --- the CRL before ----------------------------------------------------------
    with urllib.request.urlopen(urls["crl_http"], timeout=10) as r:
        ctype, crl_before = r.headers.get("Content-Type"), r.read()
    crl = x509.load_der_x509_crl(crl_before)
    issuing = x509.load_pem_x509_certificate(open(issuing_pem, "rb").read())
    check("CRL over HTTP: application/pkix-crl, signed by the issuing CA, CRL number, "
          "nextUpdate in the future",
          ctype == "application/pkix-crl" and crl.is_signature_valid(issuing.public_key())
          and crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number > 0
          and crl.next_update > crl.last_update, ctype)
    rc, out = verify_crl(leaf, crl_before)
    check("openssl verify -crl_check with the HTTP CRL before the revocation: OK",
          rc == 0, out)

    # --- revoke -------------------------------------------------------------------
    serial = "%X" % cert.serial_number
    out = check_ca.lab_cmd(here, "revoke", serial, "keyCompromise")
    check("cradle-lab revoke SERIAL keyCompromise", out.returncode == 0,
          out.stdout + out.stderr)
    out2 = check_ca.lab_cmd(here, "revoke", serial)
    check("revoking it again fails (exit 1, already revoked)",
          out2.returncode == 1 and "already revoked" in out2.stderr, out2.stderr)
    rc, out = ocsp(leaf)
    check("openssl ocsp right after: revoked, Reason: keyCompromise, with the time",
          "%s: revoked" % leaf in out and "Reason: keyCompromise" in out
          and "Revocation Time:" in out and "Response verify OK" in out, out)

    with urllib.request.urlopen(urls["crl_http"], timeout=10) as r:
        crl_http = r.read()
    rc, out = verify_crl(leaf, crl_http)
    check("openssl verify -crl_check with the HTTP CRL after: error 23, certificate revoked",
          rc != 0 and "error 23" in out and "revoked" in out, out)
    entry = x509.load_der_x509_crl(crl_http).get_revoked_certificate_by_serial_number(
        cert.serial_number)
    check("the HTTP CRL's entry has the reason keyCompromise",
          entry is not None and entry.extensions.get_extension_for_class(
              x509.CRLReason).value.reason == x509.ReasonFlags.key_compromise)

    # The ldap:/// URL of the certificate, read as alice (GSSAPI) from the DC.
    u = ldapurl.LDAPUrl(names[0])
    crl_ldap = None
    try:
        os.environ["KRB5CCNAME"] = "FILE:%s/ccache/alice" % labdir
        c = ldap.initialize(lab["ldap_uri"])
        c.set_option(ldap.OPT_X_SASL_NOCANON, 1)
        c.sasl_interactive_bind_s("", ldap.sasl.gssapi())
        r = c.search_s(u.dn, ldap.SCOPE_BASE, u.filterstr, u.attrs)
        crl_ldap = r[0][1][u.attrs[0]][0]
        c.unbind_s()
    except (ldap.LDAPError, IndexError, KeyError) as e:
        check("the CRL read from the directory at the CDP's ldap:/// URL", False, e)
    if crl_ldap is not None:
        d = x509.load_der_x509_crl(crl_ldap)
        check("the directory's CRL (%s, %s) is signed by the issuing CA and lists the serial"
              % (u.dn.split(",")[0], u.attrs[0]),
              d.is_signature_valid(issuing.public_key())
              and d.get_revoked_certificate_by_serial_number(cert.serial_number) is not None)
        rc, out = verify_crl(leaf, crl_ldap)
        check("openssl verify -crl_check with the directory's CRL: error 23, revoked",
              rc != 0 and "error 23" in out, out)
