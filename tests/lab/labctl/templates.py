"""The certificate templates of the lab, as AD CS stores them.

Values follow MS-CRTD and what a Windows Server AD CS installation writes
(the built-in "User" and "Exchange User" keep Windows' defaults; the
Cradle* ones are what the Certificate Templates MMC writes for a duplicate).
Every template is valid for 1 year, renewal overlap 6 weeks, except the
three short-lived ones (10 minutes with an overlap of 4; 1 minute with an
overlap of 1) that let a test reach a renewal window and an expiry.  Those
came after the first labs: `cradle-lab up` adds
them to a running directory when missing (labca/dirsetup.py), so a new
template needs no new recipe.
"""

import struct

# msPKI-Certificate-Name-Flag bits (MS-CRTD 2.28)
ENROLLEE_SUPPLIES_SUBJECT = 0x00000001
SUBJECT_ALT_REQUIRE_UPN = 0x02000000
SUBJECT_ALT_REQUIRE_EMAIL = 0x04000000
SUBJECT_REQUIRE_EMAIL = 0x20000000
SUBJECT_REQUIRE_DIRECTORY_PATH = 0x80000000
# msPKI-Enrollment-Flag bits (MS-CRTD 2.26)
INCLUDE_SYMMETRIC_ALGORITHMS = 0x1
PEND_ALL_REQUESTS = 0x2
PUBLISH_TO_DS = 0x8
AUTO_ENROLLMENT = 0x20
# msPKI-Private-Key-Flag (MS-CRTD 2.27); bits 16-19 / 24-27 carry the
# client / server compatibility levels chosen in the MMC.
EXPORTABLE_KEY = 0x10
REQUIRE_SAME_KEY_RENEWAL = 0x80
COMPAT_2003 = 0x01010000   # Windows Server 2003 / Windows XP (schema 2)
COMPAT_2016 = 0x06060000   # Windows Server 2016 / Windows 10 (schema 4)
# flags (general)
IS_DEFAULT = 0x10000
IS_MODIFIED = 0x20000
ADD_TEMPLATE_NAME = 0x200
FLAGS_CUSTOM = IS_MODIFIED | ADD_TEMPLATE_NAME | 0x20  # 131616

EKU_CLIENT_AUTH = "1.3.6.1.5.5.7.3.2"
EKU_SECURE_EMAIL = "1.3.6.1.5.5.7.3.4"
EKU_EFS = "1.3.6.1.4.1.311.10.3.4"

KU_DIGITAL_SIGNATURE = 0x80
KU_KEY_ENCIPHERMENT = 0x20

CSP_ENHANCED = "1,Microsoft Enhanced Cryptographic Provider v1.0"
CSP_BASE = "2,Microsoft Base Cryptographic Provider v1.0"
KSP_SOFTWARE = "1,Microsoft Software Key Storage Provider"

ECC_P256_POLICY = ("msPKI-Asymmetric-Algorithm`PZPWSTR`ECDSA_P256`"
                   "msPKI-Hash-Algorithm`PZPWSTR`SHA256`"
                   "msPKI-Key-Usage`DWORD`16777215`"
                   "msPKI-Symmetric-Algorithm`PZPWSTR`3DES`"
                   "msPKI-Symmetric-Key-Length`DWORD`168`")

UPN_FROM_DIRECTORY = SUBJECT_ALT_REQUIRE_UPN | SUBJECT_REQUIRE_DIRECTORY_PATH

ONE_YEAR_S = 365 * 24 * 3600
SIX_WEEKS_S = 42 * 24 * 3600
TEN_MINUTES_S = 600
ONE_MINUTE_S = 60
FOUR_MINUTES_S = 240


def period(seconds):
    """pKIExpirationPeriod / pKIOverlapPeriod: negative 100 ns, int64 LE."""
    return struct.pack("<q", -seconds * 10_000_000)


def signed32(v):
    return v - (1 << 32) if v & 0x80000000 else v


def _device(cn, display, purpose, **over):
    t = dict(cn=cn, display=display, purpose=purpose, schema=2,
             revision=100, minor=2, flags=FLAGS_CUSTOM,
             enrollment_flag=0, private_key_flag=COMPAT_2003 | EXPORTABLE_KEY,
             name_flag=UPN_FROM_DIRECTORY,
             key_usage=KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT,
             key_spec=1, min_key=2048, algorithm="RSA",
             ekus=[EKU_CLIENT_AUTH], csps=[CSP_ENHANCED],
             ra_app_policies=None, builtin_oid=None,
             published=True, enroll="Domain Users",
             validity=ONE_YEAR_S, overlap=SIX_WEEKS_S)
    t.update(over)
    return t


TEMPLATES = [
    dict(cn="User", display="User", schema=1, revision=3, minor=1,
         purpose="Windows' built-in v1 User template: subject from AD, "
                 "UPN and e-mail required (fails for bob, who has no mail)",
         flags=66106, enrollment_flag=41, private_key_flag=16,
         name_flag=(SUBJECT_ALT_REQUIRE_UPN | SUBJECT_ALT_REQUIRE_EMAIL
                    | SUBJECT_REQUIRE_EMAIL | SUBJECT_REQUIRE_DIRECTORY_PATH),
         key_usage=KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT,
         key_spec=1, min_key=2048, algorithm="RSA",
         ekus=[EKU_EFS, EKU_SECURE_EMAIL, EKU_CLIENT_AUTH],
         csps=[CSP_ENHANCED, CSP_BASE], ra_app_policies=None,
         builtin_oid="1.1", published=True, enroll="Domain Users",
         validity=ONE_YEAR_S, overlap=SIX_WEEKS_S),
    dict(cn="ExchangeUser", display="Exchange User", schema=1, revision=7,
         minor=1,
         purpose="built-in v1 template of the Windows Mobile walkthrough: "
                 "enrollee supplies the subject, secure e-mail",
         flags=66065, enrollment_flag=INCLUDE_SYMMETRIC_ALGORITHMS,
         private_key_flag=16, name_flag=ENROLLEE_SUPPLIES_SUBJECT,
         key_usage=KU_KEY_ENCIPHERMENT, key_spec=1, min_key=2048,
         algorithm="RSA", ekus=[EKU_SECURE_EMAIL],
         csps=[CSP_ENHANCED, CSP_BASE], ra_app_policies=None,
         builtin_oid="1.23", published=True, enroll="Domain Users",
         validity=ONE_YEAR_S, overlap=SIX_WEEKS_S),
    _device("CradleDeviceUPN", "Cradle Device (UPN)",
            "v2 device template: subject from AD, UPN SAN, client auth, "
            "RSA >= 2048"),
    _device("CradleDeviceECC", "Cradle Device ECC P-256",
            "v4 (CNG) template: ECDSA P-256 key named in "
            "msPKI-RA-Application-Policies, UPN SAN",
            schema=4, minor=3,
            private_key_flag=COMPAT_2016 | EXPORTABLE_KEY,
            key_usage=KU_DIGITAL_SIGNATURE, key_spec=2, min_key=256,
            algorithm="ECDSA_P256", csps=[KSP_SOFTWARE],
            ra_app_policies=ECC_P256_POLICY),
    _device("CradleDeviceApproval", "Cradle Device (Manager Approval)",
            "like CradleDeviceUPN, but CA certificate manager approval "
            "(PEND_ALL_REQUESTS): requests come back pending",
            enrollment_flag=PEND_ALL_REQUESTS),
    _device("CradleDeviceRestricted",
            "Cradle Device (Mobile Device Users only)",
            "Enroll only for the group Mobile Device Users: alice may, "
            "bob may read it but not enroll",
            enroll="Mobile Device Users"),
    _device("CradleDeviceUnpublished", "Cradle Device (Not Published)",
            "exists in AD and grants Enroll, but no CA publishes it",
            published=False),
    _device("CradleDeviceSuppliedSubject", "Cradle Device (Supplied Subject)",
            "enrollee supplies subject and SAN in the request, RSA >= 3072",
            name_flag=ENROLLEE_SUPPLIES_SUBJECT, min_key=3072),
    _device("CradleShortLived", "Cradle Device (Short-Lived)",
            "like CradleDeviceUPN, but issued for 10 minutes with a renewal "
            "overlap of 4 minutes, so that a test reaches the renewal window",
            validity=TEN_MINUTES_S, overlap=FOUR_MINUTES_S),
    _device("CradleShortLivedSameKey", "Cradle Device (Short-Lived, Same Key)",
            "like CradleShortLived, with REQUIRE_SAME_KEY_RENEWAL (private key "
            "flag 0x80): a renewal with a new key is refused (0x80094816)",
            private_key_flag=COMPAT_2003 | EXPORTABLE_KEY | REQUIRE_SAME_KEY_RENEWAL,
            validity=TEN_MINUTES_S, overlap=FOUR_MINUTES_S),
    _device("CradleExpiresSoon", "Cradle Device (Expires in a Minute)",
            "like CradleShortLived, but issued for 1 minute with a renewal "
            "period of 1 minute: due for renewal when issued, expired a "
            "minute later",
            validity=ONE_MINUTE_S, overlap=ONE_MINUTE_S),
]


def published_cns():
    return [t["cn"] for t in TEMPLATES if t["published"]]


def ldap_attributes(t, oid):
    """The attribute dict (ldb-style) of one pKICertificateTemplate."""
    a = {
        "objectClass": ["top", "pKICertificateTemplate"],
        "cn": t["cn"],
        "displayName": t["display"],
        "showInAdvancedViewOnly": "TRUE",
        "flags": str(t["flags"]),
        "revision": str(t["revision"]),
        "msPKI-Template-Schema-Version": str(t["schema"]),
        "msPKI-Template-Minor-Revision": str(t["minor"]),
        "pKIDefaultKeySpec": str(t["key_spec"]),
        "pKIKeyUsage": bytes([t["key_usage"] & 0xff, t["key_usage"] >> 8]),
        "pKIMaxIssuingDepth": "0",
        "pKICriticalExtensions": ["2.5.29.15"],
        "pKIExpirationPeriod": period(t["validity"]),
        "pKIOverlapPeriod": period(t["overlap"]),
        "pKIExtendedKeyUsage": list(t["ekus"]),
        "pKIDefaultCSPs": list(t["csps"]),
        "msPKI-RA-Signature": "0",
        "msPKI-Enrollment-Flag": str(t["enrollment_flag"]),
        "msPKI-Private-Key-Flag": str(t["private_key_flag"]),
        "msPKI-Certificate-Name-Flag": str(signed32(t["name_flag"])),
        "msPKI-Minimal-Key-Size": str(t["min_key"]),
        "msPKI-Cert-Template-OID": oid,
    }
    if t["schema"] >= 2:
        a["msPKI-Certificate-Application-Policy"] = list(t["ekus"])
    if t["ra_app_policies"]:
        a["msPKI-RA-Application-Policies"] = t["ra_app_policies"]
    return a
