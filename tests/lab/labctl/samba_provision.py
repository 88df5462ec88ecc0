"""Step 1 of provisioning: `samba-tool domain provision` into the lab folder."""

import os
import subprocess

from . import config


def smb_options(paths):
    """smb.conf options that keep Samba on loopback and inside the folder."""
    r = paths.root
    return {
        "interfaces": "lo",
        "bind interfaces only": "yes",
        # Run-time files stay in the lab folder.
        "pid directory": os.path.join(r, "run"),
        "ncalrpc dir": os.path.join(r, "run", "ncalrpc"),
        "winbindd socket directory": os.path.join(r, "run", "winbindd"),
        "ntp signd socket directory": os.path.join(r, "run", "ntp_signd"),
        "usershare path": os.path.join(r, "state", "usershares"),
        "log file": paths.samba_log,
        "logging": "file",
        "max log size": "20000",
        # Only what an AD client needs (LDAP, Kerberos, SMB/RPC); no NetBIOS
        # name service, WINS, NTP signing or dynamic DNS updates.
        "server services": "s3fs, rpc, ldap, cldap, kdc, drepl, winbindd, kcc",
        "load printers": "no",
        "printing": "bsd",
        "printcap name": "/dev/null",
        "disable spoolss": "yes",
    }


def provision(paths, log):
    os.makedirs(paths.etc, exist_ok=True)
    os.makedirs(paths.run, exist_ok=True)
    os.makedirs(paths.log, exist_ok=True)
    # An empty smb.conf given with -s keeps samba-tool from starting out of
    # the host's /etc/samba/smb.conf (Debian's shares, pam settings, ...).
    open(paths.smb_conf, "w").close()
    cmd = ["samba-tool", "domain", "provision",
           "-s", paths.smb_conf,
           "--realm=" + config.REALM,
           "--domain=" + config.NETBIOS,
           "--server-role=dc",
           "--dns-backend=NONE",
           "--host-name=" + config.DC_SHORT,
           "--targetdir=" + paths.root]
    for k, v in smb_options(paths).items():
        cmd.append("--option=%s=%s" % (k, v))
    # No --adminpass: a password on argv shows in ps.  samba-tool picks a
    # random one and accounts.py sets the lab's own offline afterwards.
    res = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT)
    if res.returncode != 0:
        raise RuntimeError("samba-tool domain provision failed (exit %d); see %s"
                           % (res.returncode, paths.provision_log))
    # The DC's own SPNs (ldap/dc1.corp.example.test, ...) are normally added
    # by samba_spnupdate from the `dnsupdate` service, which the lab does not
    # run (no DNS).  Without them GSSAPI binds fail with "Server not found in
    # Kerberos database".  It works offline on sam.ldb.
    res = subprocess.run(["samba_spnupdate", "-s", paths.smb_conf],
                         stdout=log, stderr=subprocess.STDOUT,
                         env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
                              "LANG": "C.UTF-8"})
    if res.returncode != 0:
        raise RuntimeError("samba_spnupdate failed (exit %d); see %s"
                           % (res.returncode, paths.provision_log))


def redact_log(path):
    """samba-tool logs the random first Administrator password; the lab
    replaces that password anyway, but keeps it out of its logs."""
    with open(path) as f:
        lines = f.readlines()
    with open(path, "w") as f:
        for line in lines:
            if "Admin password:" in line:
                line = line.split("Admin password:")[0] + \
                    "Admin password: (redacted; replaced by cradle-lab)\n"
            f.write(line)
