"""Lab users, the Mobile Device Users group and the CA service account."""

import os
import sys

import ldb
from samba import dsdb, enable_net_export_keytab
from samba.net import Net

from . import config


def _user_dn(samdb, name):
    res = samdb.search(base=samdb.domain_dn(), scope=ldb.SCOPE_SUBTREE,
                       expression="(sAMAccountName=%s)" % ldb.binary_encode(name),
                       attrs=["objectSid"])
    if len(res) != 1:
        raise RuntimeError("account %s not found after creating it" % name)
    return res[0]


def create(samdb, passwords):
    """Create users and the group; returns {name: {dn, sid, upn, ...}}."""
    out = {}
    samdb.setpassword("(sAMAccountName=Administrator)",
                      passwords["Administrator"],
                      force_change_at_next_login=False, username="Administrator")
    samdb.setexpiry("(sAMAccountName=Administrator)", 0, no_expiry_req=True)

    for u in config.USERS:
        name = u["name"]
        # useusernameascn=None: cn is the full name, as ADUC does.
        samdb.newuser(name, passwords[name], useusernameascn=None,
                      givenname=u["given"], surname=u["sn"],
                      mailaddress=u["mail"],
                      description=u["purpose"])
        esc = ldb.binary_encode(name)
        samdb.setexpiry("(sAMAccountName=%s)" % esc, 0, no_expiry_req=True)
        msg = _user_dn(samdb, name)
        if u["display"]:
            m = ldb.Message(msg.dn)
            m["displayName"] = ldb.MessageElement(u["display"],
                                                  ldb.FLAG_MOD_REPLACE,
                                                  "displayName")
            samdb.modify(m)
        upn = "%s@%s" % (name, config.DOMAIN)
        if not u.get("upn", True):
            # samdb.newuser always writes userPrincipalName=name@domain;
            # this account must have none.
            m = ldb.Message(msg.dn)
            m["userPrincipalName"] = ldb.MessageElement(
                [], ldb.FLAG_MOD_DELETE, "userPrincipalName")
            samdb.modify(m)
            res = samdb.search(base=msg.dn, scope=ldb.SCOPE_BASE,
                               attrs=["userPrincipalName"])
            if "userPrincipalName" in res[0]:
                raise RuntimeError("%s still has a userPrincipalName" % name)
            upn = None
        out[name] = {
            "dn": str(msg.dn),
            "sid": samdb.schema_format_value("objectSid",
                                             msg["objectSid"][0]).decode(),
            "upn": upn,
            "mail": u["mail"],
            "displayName": u["display"],
            "role": u["role"],
            "purpose": u["purpose"],
        }

    svc = out["svc-ca"]
    m = ldb.Message(ldb.Dn(samdb, svc["dn"]))
    m["servicePrincipalName"] = ldb.MessageElement(
        [config.CA_HTTP_SPN], ldb.FLAG_MOD_ADD, "servicePrincipalName")
    samdb.modify(m)
    svc["spn"] = config.CA_HTTP_SPN

    samdb.newgroup(config.GROUP_NAME,
                   grouptype=dsdb.GTYPE_SECURITY_GLOBAL_GROUP,
                   description="Users allowed to enroll mobile/USB devices")
    samdb.add_remove_group_members(config.GROUP_NAME, config.GROUP_MEMBERS,
                                   add_members_operation=True)
    res = samdb.search(base=samdb.domain_dn(), scope=ldb.SCOPE_SUBTREE,
                       expression="(sAMAccountName=%s)"
                       % ldb.binary_encode(config.GROUP_NAME),
                       attrs=["objectSid"])
    group = {
        "name": config.GROUP_NAME,
        "dn": str(res[0].dn),
        "sid": samdb.schema_format_value("objectSid",
                                         res[0]["objectSid"][0]).decode(),
        "members": list(config.GROUP_MEMBERS),
    }
    return out, group


def export_keytab(lp, path, log):
    """Keytab of HTTP/ca1 for the lab CA's SPNEGO front-end.

    Done in a forked child whose stdout is the provisioning log: Samba's C
    code prints "Export one principal to ..." through its own buffer, which
    would otherwise surface on the terminal when Python exits.
    """
    enable_net_export_keytab()  # what samba-tool domain exportkeytab does
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.dup2(log.fileno(), 1)
            os.dup2(log.fileno(), 2)
            Net(None, lp).export_keytab(keytab=path,
                                        principal=config.CA_HTTP_SPN)
            code = 0
        except BaseException as e:  # reported through the exit code
            os.write(2, ("export_keytab: %s\n" % e).encode())
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0 or not os.path.exists(path):
        raise RuntimeError("exporting the keytab of %s failed"
                           % config.CA_HTTP_SPN)
