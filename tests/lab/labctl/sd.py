"""Security descriptors (SDDL) as AD CS writes them on its objects."""

from samba.dcerpc import security
from samba.ndr import ndr_pack

from . import config

FULL = "CCDCLCSWRPWPDTLOSDRCWDWO"        # full control, as in the MMC
FULL_CR = "CCDCLCSWRPWPDTLOCRSDRCWDWO"   # full control incl. all ext. rights
READ = "LCRPLORC"


def enroll_ace(sid):
    # AD CS writes Read+Write property+Control access for Enroll.
    return "(OA;;RPWPCR;%s;;%s)" % (config.RIGHT_ENROLL, sid)


def template_sddl(enroll_sids):
    """Protected DACL: DA/EA full control, AU read, Enroll for each sid."""
    aces = "".join(enroll_ace(s) for s in enroll_sids)
    return ("O:EAG:EAD:PAI" + aces
            + "(A;;%s;;;DA)(A;;%s;;;EA)(A;;%s;;;AU)" % (FULL, FULL, READ))


def enrollment_service_sddl(ca_account_sid):
    """Enroll for Authenticated Users; EA and the CA's account own it."""
    return ("O:EAG:EAD:AI(OA;;CR;%s;;AU)" % config.RIGHT_ENROLL
            + "(A;OICI;%s;;;EA)(A;OICI;%s;;;%s)(A;OICI;%s;;;AU)"
            % (FULL, FULL, ca_account_sid, READ))


def oid_sddl():
    return ("O:EAG:EAD:AI(A;;%s;;;DA)(A;;%s;;;AU)(A;;%s;;;SY)"
            % (FULL_CR, READ, FULL_CR))


def pack(sddl, domain_sid):
    sid = security.dom_sid(domain_sid)
    return ndr_pack(security.descriptor.from_sddl(sddl, sid))
