"""The lab's own krb5.conf: no DNS, KDC on 127.0.0.1."""

from . import config

TEXT = """\
# Written by cradle-lab.  Use with KRB5_CONFIG=<this file>.
[libdefaults]
	default_realm = {realm}
	dns_lookup_kdc = false
	dns_lookup_realm = false
	rdns = false
	dns_canonicalize_hostname = false
	forwardable = true

[realms]
	{realm} = {{
		kdc = 127.0.0.1
		admin_server = 127.0.0.1
		kpasswd_server = 127.0.0.1
		default_domain = {domain}
	}}

[domain_realm]
	.{domain} = {realm}
	{domain} = {realm}
"""


def write(path):
    with open(path, "w") as f:
        f.write(TEXT.format(realm=config.REALM, domain=config.DOMAIN))
