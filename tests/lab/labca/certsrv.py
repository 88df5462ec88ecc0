"""certsrv, AD CS Web Enrollment (/certsrv): certfnsh.asp, certnew.cer,
certnew.p7b, certcarc.asp, with pages shaped like Windows Server's."""

import base64
import binascii
import html
import re
import urllib.parse

from . import errors
from .errors import CAError

HTML = "text/html; charset=utf-8"
OFFICERS = {"caofficer", "administrator"}

_HEAD = """<HTML>
<Head>
\t<Meta HTTP-Equiv="Content-Type" Content="text/html; charset=UTF-8">
\t<Title>Microsoft Active Directory Certificate Services</Title>
</Head>
<Body BgColor=#FFFFFF Link=#0000FF VLink=#0000FF ALink=#0000FF><Font ID=locPageFont Face="Arial">
<Table Border=0 CellSpacing=0 CellPadding=4 Width=100% BgColor=#008080>
<TR>
\t<TD><Font Color=#FFFFFF><LocID ID=locMSCertSrv><Font Face="Arial" Size=-1><B><I>Microsoft</I></B> Active Directory Certificate Services &nbsp;--&nbsp; Corp Issuing CA&nbsp;</Font></LocID></Font></TD>
\t<TD ID=locHomeAlign Align=Right><A Href="/certsrv"><Font Color=#FFFFFF><LocID ID=locHomeLink><Font Face="Arial" Size=-1><B>Home</B></Font></LocID></Font></A></TD>
</TR>
</Table>
"""
_TAIL = """
</Font>
<!-- Green HR --><Table Border=0 CellSpacing=0 CellPadding=0 Width=100%><TR><TD BgColor=#008080><Img Src="certspc.gif" Alt="" Height=2 Width=1></TD></TR></Table>
</Body>
</HTML>
"""


def _page(title, inner):
    return (_HEAD + "\n<P ID=locPageTitle> <B> %s </B>\n" % title
            + "<!-- Green HR --><Table Border=0 CellSpacing=0 CellPadding=0 Width=100%>"
            "<TR><TD BgColor=#008080><Img Src=\"certspc.gif\" Alt=\"\" Height=2 Width=1>"
            "</TD></TR></Table>\n" + inner + _TAIL)


def issued_page(rid):
    return _page("Certificate Issued", """
<P ID=locCertIssued>The certificate you requested was issued to you.</P>
<P>
\t<Input Type=Radio Name=rbEncoding ID=rbDerEnc Value="bin"><Label For=rbDerEnc ID=locDerEnc>DER encoded</Label> or<BR>
\t<Input Type=Radio Name=rbEncoding ID=rbB64Enc Value="b64" Checked><Label For=rbB64Enc ID=locB64Enc>Base 64 encoded</Label>
</P>
<P>
\t<A Href="certnew.cer?ReqID={id}&amp;Enc=b64"><Img Src="certific.gif" Alt="" Border=0><LocID ID=locDownloadCert1>Download certificate</LocID></A><BR>
\t<A Href="certnew.p7b?ReqID={id}&amp;Enc=b64"><Img Src="certific.gif" Alt="" Border=0><LocID ID=locDownloadCertChain1>Download certificate chain</LocID></A>
</P>
<Script Language="JavaScript">
\tfunction getEncoding() {{
\t\tif (document.getElementById("rbB64Enc").checked) {{ return "Enc=b64"; }}
\t\treturn "Enc=bin";
\t}}
\tvar sPKCS7, sCert;
\tfunction handleGetCert() {{
\t\tsPKCS7="certnew.p7b?ReqID={id}&"+getEncoding();
\t\tsCert="certnew.cer?ReqID={id}&"+getEncoding();
\t\tlocation=sCert;
\t}}
</Script>
""".format(id=rid))


def pending_page(rid):
    return _page("Certificate Pending", """
<P ID=locInfoReqIDAndWait>Your certificate request has been received. However, you must wait for an administrator to issue the certificate you requested.</P>
<P ID=locReqID>Your Request Id is {id}.</P>
<P ID=locPleaseReturn>Please return to this web site in a day or two to retrieve your certificate.</P>
<P ID=locNote><Font Size=-1><I>Note: You must use this web browser within 10 days to retrieve your certificate</I></Font></P>
""".format(id=rid))


def denied_page(rid, message):
    rid_text = "Your Request Id is %s. " % rid if rid is not None else ""
    return _page("Certificate Request Denied", """
<P ID=locDenied>Your certificate request was denied.</P>
<P ID=locContactAdmin>Contact your administrator for further information.</P>
<P ID=locDispMsg>{rid}The disposition message is "{msg}".</P>
""".format(rid=rid_text, msg=html.escape(message, quote=False)))


def error_page(title, disposition, code_text):
    # certsrv's "cannot retrieve" page: magnuswatn/certsrv reads
    # "Disposition message:<...>\t\t<message>".
    return _page(title, """
<P ID=locErrorMsg>An unexpected error has occurred:</P>
<Table Border=0 CellSpacing=0 CellPadding=2>
<TR><TD><B ID=locDispLabel>Disposition message:</B></TD>
\t\t{disp}
</TR>
<TR><TD><B ID=locErrLabel>Error:</B></TD><TD>{err}</TD></TR>
</Table>
""".format(disp=html.escape(disposition, quote=False), err=html.escape(code_text, quote=False)))


def home_page(account):
    return _page("Welcome", """
<P ID=locWelcome>Use this Web site to request a certificate for your Web browser, e-mail client, or other program. ({user})</P>
<P><A Href="/certsrv/certrqus.asp">Request a certificate</A><BR>
<A Href="/certsrv/certckpn.asp">View the status of a pending certificate request</A><BR>
<A Href="/certsrv/certcarc.asp">Download a CA certificate, certificate chain, or CRL</A></P>
""".format(user=html.escape(account["sam"])))


def certcarc_page():
    return _page("Download a CA Certificate, Certificate Chain, or CRL", """
<P ID=locInfo>To trust certificates issued from this certification authority, install this CA certificate.</P>
<Select Name=lbCert ID=lbCert Size=2><Option Value="0" Selected>Current [Corp Issuing CA]</Option></Select>
<P><A Href="certnew.cer?ReqID=CACert&amp;Renewal=0&amp;Enc=bin">Download CA certificate</A><BR>
<A Href="certnew.p7b?ReqID=CACert&amp;Renewal=0&amp;Enc=bin">Download CA certificate chain</A></P>
<Script Language="JavaScript">
\tvar nRenewals=0;
\tvar sCertificateLinks="certnew.cer?ReqID=CACert&Renewal=";
</Script>
""")


# -- encoding ----------------------------------------------------------------------
def pem(kind, der):
    b = base64.b64encode(der).decode()
    lines = [b[i:i + 64] for i in range(0, len(b), 64)]
    return ("-----BEGIN %s-----\r\n" % kind + "\r\n".join(lines)
            + "\r\n-----END %s-----\r\n" % kind).encode()


def decode_request(text):
    """CertRequest: PEM (any header) or bare base64, '+' possibly as space."""
    t = re.sub(r"-----[A-Z0-9 #]+-----", "", text)
    t = re.sub(r"\s+", "", t)
    try:
        return base64.b64decode(t + "=" * (-len(t) % 4), validate=True)
    except (binascii.Error, ValueError) as e:
        raise CAError(0x8009310B, "ASN1 bad tag value met.", policy=False) from e


def _send_cert(h, der, enc, p7=False):
    if p7:
        ctype, name, kind = "application/x-pkcs7-certificates", "certnew.p7b", "PKCS7"
    else:
        ctype, name, kind = "application/pkix-cert", "certnew.cer", "CERTIFICATE"
    body = pem(kind, der) if enc == "b64" else der
    h.send(200, ctype, body, [("Content-Disposition", "attachment; filename=%s" % name)])


# -- handlers ----------------------------------------------------------------------
def handle(h, sub, query):
    account = h.authenticate({"negotiate", "basic"})
    if account is None:
        return
    ca = h.server.ca
    page = sub.lower().strip("/")
    if page in ("", "default.asp"):
        return h.send(200, HTML, home_page(account))
    if page == "certcarc.asp":
        return h.send(200, HTML, certcarc_page())
    if page == "certfnsh.asp":
        if h.command != "POST":
            return h.send(405, HTML, "<html><body>405 Method Not Allowed</body></html>",
                          [("Allow", "POST")])
        return _submit(h, ca, account)
    if page in ("certnew.cer", "certnew.p7b"):
        q = urllib.parse.parse_qs(query, keep_blank_values=True)
        return _retrieve(h, ca, account, page.endswith(".p7b"),
                         (q.get("ReqID") or q.get("reqid") or [""])[0],
                         (q.get("Enc") or q.get("enc") or ["bin"])[0].lower(),
                         (q.get("Renewal") or ["0"])[0])
    h.send(404, HTML, "<html><body><h2>404 - File or directory not found.</h2></body></html>")


def _submit(h, ca, account):
    ctype = h.headers.get("Content-Type", "")
    if "application/x-www-form-urlencoded" not in ctype.lower():
        raise ValueError("certfnsh.asp wants application/x-www-form-urlencoded")
    form = urllib.parse.parse_qs(h.body().decode("utf-8", "replace"), keep_blank_values=True)
    mode = (form.get("Mode") or [""])[0]
    if mode.lower() != "newreq":
        return h.send(200, HTML, denied_page(None, "Error Parsing Request  Unsupported "
                      "Mode %r %s" % (mode[:20], errors.describe(0x80070057))))
    try:
        der = decode_request((form.get("CertRequest") or [""])[0])
    except CAError as e:
        return h.send(200, HTML, denied_page(None, e.disposition_message()))
    attrib = (form.get("CertAttrib") or [""])[0]
    r = ca.submit(der, account, "certsrv", attributes=attrib)
    h.req_id = r.id
    if r.status == "issued":
        return h.send(200, HTML, issued_page(r.id))
    if r.status == "pending":
        return h.send(200, HTML, pending_page(r.id))
    h.send(200, HTML, denied_page(r.id, r.message))


def _retrieve(h, ca, account, p7, reqid, enc, renewal):
    if reqid.lower() == "cacert":
        if renewal not in ("0", "-1", ""):
            return _empty(h)
        if p7:
            return _send_cert(h, ca.issuing.certs_only(ca.issuing.chain()), enc, True)
        return _send_cert(h, ca.issuing.cert_der, enc)
    if not reqid.isdigit():
        return _empty(h)
    row = ca.get(int(reqid))
    if row is None:
        return _empty(h)
    if row["requester"] != account["sam"] and account["sam"].lower() not in OFFICERS:
        code = 0x80070005
        return h.send(200, HTML, error_page("Error", "Access is denied.",
                                            "Access is denied. " + errors.describe(code)))
    if row["status"] == "issued":
        if p7:
            return _send_cert(h, ca.issuing.certs_only([row["cert"]] + ca.issuing.chain()),
                              enc, True)
        return _send_cert(h, row["cert"], enc)
    if row["status"] == "pending":
        return h.send(200, HTML, error_page("Certificate Pending", "Taken Under Submission",
                                            "Your certificate request is still pending "
                                            "(Request Id %d)." % row["id"]))
    code = row["hresult"] or 0x80094004
    h.send(200, HTML, error_page("Error", row["message"],
                                 "%s %s" % (errors.text(code), errors.describe(code))))


def _empty(h):
    code = 0x80094004
    h.send(200, HTML, error_page("Error", "Error",
                                 "The requested property value is empty. "
                                 + errors.describe(code)))
