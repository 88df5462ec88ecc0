"""HRESULTs the lab CA answers with, and their AD CS message texts."""

# (name, message) as certutil -error / the CA's disposition messages give them.
CODES = {
    0x80094001: ("CERTSRV_E_BAD_REQUESTSUBJECT",
                 "The request subject name is invalid or too long."),
    0x80094002: ("CERTSRV_E_NO_REQUEST", "The request does not exist."),
    0x80094003: ("CERTSRV_E_BAD_REQUESTSTATUS",
                 "The request's current status does not allow this operation."),
    0x80094004: ("CERTSRV_E_PROPERTY_EMPTY",
                 "The requested property value is empty."),
    0x80094011: ("CERTSRV_E_ENROLL_DENIED",
                 "The permissions on this certification authority do not "
                 "allow the current user to enroll for certificates."),
    0x80094012: ("CERTSRV_E_TEMPLATE_DENIED",
                 "The permissions on the certificate template do not allow "
                 "the current user to enroll for this type of certificate."),
    0x80094014: ("CERTSRV_E_ADMIN_DENIED_REQUEST",
                 "The request was denied by a certificate manager or CA "
                 "administrator."),
    0x80094800: ("CERTSRV_E_UNSUPPORTED_CERT_TYPE",
                 "The requested certificate template is not supported by "
                 "this CA."),
    0x80094801: ("CERTSRV_E_NO_CERT_TYPE",
                 "The request contains no certificate template information."),
    0x80094802: ("CERTSRV_E_TEMPLATE_CONFLICT",
                 "The request contains conflicting template information."),
    0x8009480D: ("CERTSRV_E_SUBJECT_UPN_REQUIRED",
                 "The UPN is unavailable and cannot be added to the Subject "
                 "Alternate name."),
    0x8009480E: ("CERTSRV_E_SUBJECT_DIRECTORY_GUID_REQUIRED",
                 "The Active Directory GUID is unavailable and cannot be "
                 "added to the Subject Alternate name."),
    0x8009480F: ("CERTSRV_E_SUBJECT_DNS_REQUIRED",
                 "The DNS name is unavailable and cannot be added to the "
                 "Subject Alternate name."),
    0x80094811: ("CERTSRV_E_KEY_LENGTH",
                 "The public key does not meet the minimum size required by "
                 "the specified certificate template."),
    0x80094812: ("CERTSRV_E_SUBJECT_EMAIL_REQUIRED",
                 "The EMail name is unavailable and cannot be added to the "
                 "Subject or Subject Alternate name."),
    0x8009400E: ("CERTSRV_E_BAD_RENEWAL_CERT_ATTRIBUTE",
                 "The request contains an invalid renewal certificate attribute."),
    0x80094816: ("CERTSRV_E_RENEWAL_BAD_PUBLIC_KEY",
                 "The public key of the renewal request does not match the "
                 "certificate being renewed."),
    0x800B010C: ("CERT_E_REVOKED",
                 "A certificate was explicitly revoked by its issuer."),
    0x800B0101: ("CERT_E_EXPIRED",
                 "A required certificate is not within its validity period when "
                 "verifying against the current system clock or the timestamp in "
                 "the signed file."),
    0x80090006: ("NTE_BAD_SIGNATURE", "Invalid Signature."),
    0x8009310B: ("CRYPT_E_ASN1_BADTAG", "ASN1 bad tag value met."),
    0x80070057: ("E_INVALIDARG", "The parameter is incorrect."),
    0x80070005: ("E_ACCESSDENIED", "Access is denied."),
}

# Dispositions (ICertRequest::Submit / MS-WCCE).
CR_DISP_ERROR = 1
CR_DISP_DENIED = 2
CR_DISP_ISSUED = 3
CR_DISP_UNDER_SUBMISSION = 5


def name(code):
    return CODES.get(code, ("HRESULT", ""))[0]


def text(code):
    return CODES.get(code, ("", "Unknown error."))[1]


def signed(code):
    """The signed decimal form SOAP faults and logs use."""
    return code - (1 << 32) if code & 0x80000000 else code


def describe(code):
    """'0x80094012 (-2146877422 CERTSRV_E_TEMPLATE_DENIED)'"""
    return "0x%08x (%d %s)" % (code, signed(code), name(code))


class CAError(Exception):
    """A request the CA refuses: the HRESULT and a message.

    policy=True for a denial by the policy module (AD CS: disposition
    "Denied by Policy Module"), False for a request it could not even read
    ("Error Parsing Request", ...).
    """

    def __init__(self, code, detail=None, policy=True):
        self.code = code
        self.detail = detail or text(code)
        self.policy = policy
        super().__init__("0x%08x %s" % (code, self.detail))

    def disposition_message(self):
        if self.policy:
            # Two spaces after "Module", as AD CS writes it.
            return "Denied by Policy Module  0x%08x, %s" % (self.code, self.detail)
        return "Error Parsing Request  %s %s" % (self.detail, describe(self.code))


CODES[0x800706BA] = ("RPC_S_SERVER_UNAVAILABLE", "The RPC server is unavailable.")
