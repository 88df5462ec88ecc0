"""Fixed names of the lab forest and the layout of the lab folder."""

import os

# Bump whenever the provisioning recipe changes (objects, attributes, users,
# files): an existing lab folder with another number is reprovisioned by `up`.
RECIPE_VERSION = 3

REALM = "CORP.EXAMPLE.TEST"
DOMAIN = "corp.example.test"
NETBIOS = "CORP"
DC_SHORT = "dc1"
DC_HOST = "dc1.corp.example.test"
CA_HOST = "ca1.corp.example.test"
BASE_DN = "DC=corp,DC=example,DC=test"
CONFIG_DN = "CN=Configuration," + BASE_DN
PKS_DN = "CN=Public Key Services,CN=Services," + CONFIG_DN

ROOT_CA_NAME = "Corp Lab Root CA"
ISSUING_CA_NAME = "Corp Issuing CA"
ISSUING_CA_DN_WINDOWS = "CN=Corp Issuing CA, DC=corp, DC=example, DC=test"

# Where the lab CA front-ends listen (tests/lab/labca).
CERTSRV_URL = "https://ca1.corp.example.test/certsrv"
CES_KERBEROS_URL = ("https://ca1.corp.example.test/"
                    "Corp%20Issuing%20CA_CES_Kerberos/service.svc/CES")
CES_PASSWORD_URL = ("https://ca1.corp.example.test/"
                    "Corp%20Issuing%20CA_CES_UsernamePassword/service.svc/CES")
EST_URL = "https://ca1.corp.example.test/.well-known/est"
SCEP_URL = "http://127.0.0.1:8088/scep"
AIA_ROOT_URL = "http://ca1.corp.example.test/aia/root.crt"
AIA_ISSUING_URL = "http://ca1.corp.example.test/aia/issuing.crt"
CEP_KERBEROS_URL = ("https://ca1.corp.example.test/"
                    "ADPolicyProvider_CEP_Kerberos/service.svc/CEP")
CEP_PASSWORD_URL = ("https://ca1.corp.example.test/"
                    "ADPolicyProvider_CEP_UsernamePassword/service.svc/CEP")

CA_HTTP_SPN = "HTTP/ca1.corp.example.test"

# Revocation (tests/lab/labca: crl.py, ocsp.py).  The URLs go into every
# certificate the issuing CA issues, as AD CS writes them: one CRL
# distribution point with the ldap:/// URL (empty host, spaces as %20) and
# the http one, and an AIA with caIssuers and the Online Responder.
CA_SHORT = "ca1"
CDP_CONTAINER_DN = "CN=%s,CN=CDP,%s" % (CA_SHORT, PKS_DN)
CDP_DN = "CN=%s,%s" % (ISSUING_CA_NAME, CDP_CONTAINER_DN)
CRL_FILE_NAME = ISSUING_CA_NAME + ".crl"
CRL_HTTP_URL = "http://ca1.corp.example.test/CertEnroll/Corp%20Issuing%20CA.crl"
CRL_LDAP_URL = ("ldap:///" + CDP_DN.replace(" ", "%20")
                + "?certificateRevocationList?base?objectClass=cRLDistributionPoint")
OCSP_PORT = 8089
OCSP_URL = "http://ca1.corp.example.test:8089/ocsp"
CRL_VALIDITY_S = 300      # nextUpdate = publication + 5 minutes
CRL_REPUBLISH_S = 120     # the CA republishes every 2 minutes and at once on revoke
OCSP_VALIDITY_S = 300     # an OCSP answer's nextUpdate = thisUpdate + 5 minutes

# Enroll and AutoEnroll extended rights (MS-ADTS / AD CS).
RIGHT_ENROLL = "0e10c968-78fb-11d2-90d4-00c04f79dc55"
RIGHT_AUTOENROLL = "a05b8cc2-17bc-4802-a710-e7c15ab866a2"

# Lab users: (sAMAccountName, attributes).  `kinit` at `up` for those with
# ticket=True.  Passwords are generated at provisioning (secrets.json).
# upn=False: the account has no userPrincipalName (removed after creation;
# its Kerberos principal is still sAMAccountName@REALM).
USERS = [
    {"name": "alice", "given": "Alice", "sn": "Liddell",
     "display": "Alice Liddell", "mail": "alice@corp.example.test",
     "role": "user", "ticket": True,
     "purpose": "ordinary user with e-mail, member of Mobile Device Users"},
    {"name": "bob", "given": "Bob", "sn": "Builder",
     "display": "Bob Builder", "mail": None,
     "role": "user", "ticket": True,
     "purpose": "ordinary user without a mail attribute, not in the group"},
    {"name": "carol", "given": "Carol", "sn": "Nouppen",
     "display": "Carol Nouppen", "mail": None, "upn": False,
     "role": "user", "ticket": True,
     "purpose": "has no userPrincipalName: UPN-SAN templates are refused "
                "with 0x8009480D"},
    {"name": "caofficer", "given": "CA", "sn": "Officer",
     "display": "CA Officer", "mail": None,
     "role": "officer", "ticket": True,
     "purpose": "approves or denies pending requests on the lab CA"},
    {"name": "svc-ca", "given": None, "sn": None,
     "display": None, "mail": None,
     "role": "service", "ticket": False,
     "purpose": "service account of the lab CA, SPN HTTP/ca1, keytab ca/http.keytab"},
]

GROUP_NAME = "Mobile Device Users"
GROUP_MEMBERS = ["alice"]


class Paths:
    """Every file the lab writes lives below `root`."""

    def __init__(self, root):
        self.root = os.path.abspath(root)
        j = lambda *p: os.path.join(self.root, *p)
        self.marker = j(".cradle-lab")
        self.stamp = j("provisioned")
        self.etc = j("etc")
        self.smb_conf = j("etc", "smb.conf")
        self.krb5_conf = j("etc", "krb5.conf")
        self.private = j("private")
        self.sam_ldb = j("private", "sam.ldb")
        self.dc_tls_ca = j("private", "tls", "ca.pem")
        self.run = j("run")
        self.log = j("log")
        self.samba_log = j("log", "samba.log")
        self.provision_log = j("log", "provision.log")
        self.ca = j("ca")
        self.root_key = j("ca", "root-ca.key")
        self.root_pem = j("ca", "root-ca.pem")
        self.root_der = j("ca", "root-ca.der")
        self.issuing_key = j("ca", "issuing-ca.key")
        self.issuing_pem = j("ca", "issuing-ca.pem")
        self.issuing_der = j("ca", "issuing-ca.der")
        self.http_keytab = j("ca", "http.keytab")
        self.ccache_dir = j("ccache")
        self.secrets = j("secrets.json")
        self.lab_json = j("lab.json")

    def ccache(self, user):
        return os.path.join(self.ccache_dir, user)
