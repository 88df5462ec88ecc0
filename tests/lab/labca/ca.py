"""The CA engine behind every front-end: submit, retrieve, approve, deny."""

import logging
import os

from labctl import config, secrets

from . import csr as csrmod
from . import errors, renewal
from .directory import Directory, DirectoryError
from .errors import CAError
from .issuer import IssuingCA
from .policy import Policy, parse_attributes
from .store import Store

log = logging.getLogger("labca")

AIA_ISSUING_URL = config.AIA_ISSUING_URL
DISP_ISSUED = "Issued"
DISP_PENDING = "Taken Under Submission"
DISP_ADMIN_DENIED = "Denied by Certificate Manager"


def db_path(paths):
    return os.path.join(paths.ca, "requests.sqlite")


class Result:
    """What a front-end tells its client about one request."""

    def __init__(self, row=None, error=None):
        self.row = row
        self.error = error     # CAError for a request that got no id

    @property
    def id(self):
        return self.row["id"] if self.row else None

    @property
    def status(self):
        return self.row["status"] if self.row else "failed"

    @property
    def code(self):
        if self.row:
            return self.row["hresult"]
        return self.error.code

    @property
    def message(self):
        return self.row["message"] if self.row else self.error.disposition_message()

    @property
    def policy_denial(self):
        """InvalidRequest in WSTEP terms: the CA refused what was asked."""
        if self.row:
            return self.row["status"] == "denied"
        return False

    @property
    def cert(self):
        return self.row["cert"] if self.row else None


class CA:
    def __init__(self, paths):
        self.paths = paths
        pw = secrets.load(paths.secrets)
        self.directory = Directory(paths, lambda user: pw[user])
        self.store = Store(db_path(paths))
        self.issuing = IssuingCA(paths, AIA_ISSUING_URL)
        self.policy = Policy(self.directory)

    # -- submission --------------------------------------------------------------
    def submit(self, request_der, account, frontend, attributes="", label=None,
               reuse_pended=False):
        """Evaluate and (maybe) issue.  account: directory.find_account()."""
        try:
            req = csrmod.parse(request_der)
        except CAError as e:
            log.info("%s: %s: unreadable request: %s", frontend, account["sam"], e)
            return Result(error=e)
        attrs = parse_attributes(attributes)
        base = dict(frontend=frontend, requester=account["sam"],
                    requester_dn=account["dn"], csr=req.der,
                    spki_sha256=req.spki_sha256)
        tpl = None
        old_row = None
        try:
            service = self.directory.enrollment_service()
            self.policy.check_ca_access(service, account)
            if req.renewal_certs:
                # A renewal (MS-WCCE 3.2.2.6.2.1.2): the old certificate is
                # ours, its key signed, it is still good; same template.
                old_row, old = renewal.old_certificate(req, self.issuing, self.store)
                base["renewal_of"] = old_row["serial"]
                renewal.check_signer(req, old_row["cert"], old)
                renewal.check_state(old_row, old)
            tpl = self.policy.identify_template(
                req, attrs, service, label=label,
                renewed=old_row["template"] if old_row else None)
            if old_row:
                renewal.check_template(old_row, tpl, req, old)
            if reuse_pended:
                prior = self.store.find_pended(frontend, req.spki_sha256, tpl["cn"],
                                               account["sam"])
                if prior:
                    return Result(row=prior)
            plan = self.policy.finish(self.policy.evaluate(req, tpl, account))
        except CAError as e:
            tname = tpl["cn"] if tpl else getattr(e, "template", None)
            rid = self.store.add(status="denied", disposition=errors.CR_DISP_DENIED,
                                 hresult=e.code, message=e.disposition_message(),
                                 template=tname, **base)
            log.info("request %d (%s, %s, %s): denied %s%s", rid, frontend,
                     account["sam"], tname or "-", errors.describe(e.code),
                     " (renewal of %s)" % base["renewal_of"] if base.get("renewal_of") else "")
            return Result(row=self.store.get(rid))
        except DirectoryError as e:
            code = 0x800706BA
            rid = self.store.add(status="failed", disposition=errors.CR_DISP_ERROR,
                                 hresult=code, message="Error Verifying Request  %s %s"
                                 % (e, errors.describe(code)),
                                 template=tpl["cn"] if tpl else None, **base)
            log.warning("request %d: directory error: %s", rid, e)
            return Result(row=self.store.get(rid))
        pj = plan.to_json()
        if self.policy.pends(tpl):
            rid = self.store.add(status="pending", disposition=errors.CR_DISP_UNDER_SUBMISSION,
                                 message=DISP_PENDING, template=tpl["cn"], pended=1,
                                 plan=pj, **base)
            log.info("request %d (%s, %s, %s): pending (PEND_ALL_REQUESTS)",
                     rid, frontend, account["sam"], tpl["cn"])
            return Result(row=self.store.get(rid))
        rid = self.store.add(status="failed", disposition=errors.CR_DISP_ERROR,
                             message="In progress", template=tpl["cn"], plan=pj, **base)
        cert, serial = self.issuing.issue(pj, req.spki_der)
        self.store.update(rid, status="issued", disposition=errors.CR_DISP_ISSUED,
                          message=DISP_ISSUED, cert=cert, serial=serial)
        log.info("request %d (%s, %s, %s): issued serial %s%s", rid, frontend,
                 account["sam"], tpl["cn"], serial,
                 " (renewal of %s)" % old_row["serial"] if old_row else "")
        return Result(row=self.store.get(rid))

    def get(self, rid):
        return self.store.get(rid)

    # -- the officer ---------------------------------------------------------------
    def approve(self, rid, officer="caofficer"):
        row = self.store.get(rid)
        if row is None:
            raise CAError(0x80094002, "request %s does not exist" % rid, policy=False)
        if row["status"] != "pending":
            raise CAError(0x80094003, "request %d is %s, not pending" % (rid, row["status"]),
                          policy=False)
        import json
        from asn1crypto import csr as a_csr
        spki = a_csr.CertificationRequest.load(row["csr"])[
            "certification_request_info"]["subject_pk_info"].dump()
        cert, serial = self.issuing.issue(json.loads(row["plan"]), spki)
        if not self.store.resolve_pending(rid, status="issued",
                                          disposition=errors.CR_DISP_ISSUED,
                                          message=DISP_ISSUED, cert=cert, serial=serial,
                                          officer=officer):
            raise CAError(0x80094003, "request %d was resolved meanwhile" % rid, policy=False)
        log.info("request %d: issued by %s, serial %s", rid, officer, serial)
        return self.store.get(rid)

    def deny(self, rid, officer="caofficer"):
        row = self.store.get(rid)
        if row is None:
            raise CAError(0x80094002, "request %s does not exist" % rid, policy=False)
        if not self.store.resolve_pending(rid, status="denied",
                                          disposition=errors.CR_DISP_DENIED,
                                          hresult=0x80094014, message=DISP_ADMIN_DENIED,
                                          officer=officer):
            raise CAError(0x80094003, "request %d is %s, not pending"
                          % (rid, row["status"]), policy=False)
        log.info("request %d: denied by %s", rid, officer)
        return self.store.get(rid)
