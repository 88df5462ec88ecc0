"""First-time provisioning of a lab folder, start to stamp.

The stamp file (DIR/provisioned) is written last: a folder without it, or
with another recipe number, is wiped and provisioned again by `up`.
"""

import datetime
import os
import time

from . import (accounts, adcs, config, krb5conf, labjson, pki,
               samba_provision, samdb_open, secrets)


def _step(msg, t0):
    print("cradle-lab:   %-44s %5.1f s" % (msg, time.monotonic() - t0),
          flush=True)


def run(paths):
    t0 = time.monotonic()
    for d in (paths.etc, paths.run, paths.log, paths.ca):
        os.makedirs(d, exist_ok=True)
    os.makedirs(paths.ccache_dir, mode=0o700, exist_ok=True)
    with open(paths.provision_log, "w") as log:
        samba_provision.provision(paths, log)
    samba_provision.redact_log(paths.provision_log)
    _step("samba-tool domain provision", t0)

    krb5conf.write(paths.krb5_conf)
    names = [u["name"] for u in config.USERS]
    passwords = secrets.create(paths.secrets, names)
    root_der, issuing_der = pki.create(paths)
    _step("root and issuing CA keys", t0)

    samdb = samdb_open.open_samdb(paths)
    domain_sid = str(samdb.get_domain_sid())
    samdb.transaction_start()
    try:
        users, group = accounts.create(samdb, passwords)
        info = adcs.create(samdb, domain_sid, root_der, issuing_der,
                           users, group)
    except BaseException:
        samdb.transaction_cancel()
        raise
    samdb.transaction_commit()
    del samdb
    _step("users, group, AD CS objects", t0)

    with open(paths.provision_log, "a") as log:
        accounts.export_keytab(samdb_open.loadparm(paths), paths.http_keytab,
                               log)
    os.chmod(paths.http_keytab, 0o600)
    labjson.write(paths, users, group, info, domain_sid)

    with open(paths.stamp, "w") as f:
        f.write("recipe=%d\nprovisioned=%s\n" % (
            config.RECIPE_VERSION,
            datetime.datetime.now(datetime.timezone.utc).isoformat()))
    _step("done", t0)


def state(paths):
    """'ok', 'missing' or 'stale' (another recipe version)."""
    try:
        with open(paths.stamp) as f:
            first = f.readline().strip()
    except FileNotFoundError:
        return "missing"
    return "ok" if first == "recipe=%d" % config.RECIPE_VERSION else "stale"
