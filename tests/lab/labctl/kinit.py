"""Fresh Kerberos tickets for lab users, password fed on stdin."""

import os
import subprocess

from . import config, secrets


def users():
    return ["Administrator"] + [u["name"] for u in config.USERS]


def kinit(paths, user):
    pw = secrets.load(paths.secrets)
    if user not in pw:
        raise KeyError(user)
    os.makedirs(paths.ccache_dir, mode=0o700, exist_ok=True)
    ccache = "FILE:" + paths.ccache(user)
    env = dict(os.environ, KRB5_CONFIG=paths.krb5_conf, KRB5CCNAME=ccache)
    env.pop("KRB5_TRACE", None)
    res = subprocess.run(
        ["kinit", "-c", ccache, "%s@%s" % (user, config.REALM)],
        input=pw[user] + "\n", env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
    # kinit echoes its prompt on stdout; never the password.
    out = res.stdout.replace("Password for %s@%s: " % (user, config.REALM), "")
    return res.returncode, out.strip(), ccache
